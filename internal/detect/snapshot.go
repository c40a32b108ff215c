package detect

import (
	"bufio"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"github.com/nethunt/nethunt/internal/atomicfile"
	"io"
	"os"
)

// state is everything the detectors remember; it is what Snapshot writes.
type state struct {
	// detector subjects
	Proxies     gen[proxyState]
	Virt        gen[virtState]
	PortUse     gen[portState]
	Tor         gen[torState]
	Tunnels     gen[tunnelState]
	TunnelUsers gen[tunnelUsers]
	Fronts      gen[frontState]
	Chains      gen[chainState]
	Relays      gen[relayHost]
	CDN         gen[cdnState]
	CDNUsers    gen[tunnelUsers]
	NewDest     gen[newDestState]
	Intel       gen[intelState]
	// memories
	Flows     gen[flowInfo]  // flow_id -> TLS / CONNECT facts
	IPNames   gen[ipNames]   // (client, CDN / CNAME-target address) -> names it resolved
	NameCDN   gen[nameTag]   // name -> CDN provider (from CNAME chains)
	DynIP     gen[nameTag]   // address -> dynamic-DNS name resolved to it
	FreeCert  gen[freeCert]  // address -> free-CA certificate it served
	JA        gen[jaBase]    // internal host -> TLS client baseline
	IntelMemo gen[intelMemo] // address / name -> indicator hit
	Resolved  hset           // (client, name) resolved to a CDN address
	Queried   hset           // name asked in DNS by anyone
	NewIPs    hset           // external address -> first contact (sightings)
	Resolvers hset           // addresses answering DNS
	DNSSeen   [1024]uint64   // DNS transactions whose names were handled
}

// Capacities of the memories (entries; each table keeps at most this
// many, in two generations).
const (
	capFlows     = 1 << 17
	capIPNames   = 1 << 17
	capNameCDN   = 1 << 16
	capDynIP     = 1 << 14
	capFreeCert  = 1 << 14
	capJA        = 1 << 17
	capIntel     = 1 << 15
	capResolved  = 1 << 17
	capQueried   = 1 << 18
	capNewIPs    = 1 << 17
	capRelays    = 1 << 12
	capUsers     = 1 << 15
	capResolvers = 1 << 12
)

func newState(maxSubjects int) *state {
	st := &state{}
	st.fix(maxSubjects)
	return st
}

// fix gives every table its capacity and maps (after gob decoding too).
func (st *state) fix(m int) {
	st.Proxies.fix(m)
	st.Virt.fix(m)
	st.PortUse.fix(m)
	st.Tor.fix(m)
	st.Tunnels.fix(m)
	st.TunnelUsers.fix(capUsers)
	st.Fronts.fix(m)
	st.Chains.fix(m)
	st.Relays.fix(capRelays)
	st.CDN.fix(m)
	st.CDNUsers.fix(capUsers)
	st.NewDest.fix(m)
	st.Intel.fix(m)
	st.Flows.fix(capFlows)
	st.IPNames.fix(capIPNames)
	st.NameCDN.fix(capNameCDN)
	st.DynIP.fix(capDynIP)
	st.FreeCert.fix(capFreeCert)
	st.JA.fix(capJA)
	st.IntelMemo.fix(capIntel)
	st.Resolved.fix(capResolved)
	st.Queried.fix(capQueried)
	st.NewIPs.fix(capNewIPs)
	st.Resolvers.fix(capResolvers)
}

const (
	snapMagic   = "NHDETECT"
	snapVersion = 1
)

var errNoState = errors.New("no detection state")

// SnapshotSeq reads the batch sequence a detection snapshot covers,
// without loading it (for `nethunt stats`).
func SnapshotSeq(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	seq, _, err := readHead(f, path)
	return seq, err
}

// readHead reads a snapshot's magic, layout version and batch sequence.
func readHead(r io.Reader, path string) (seq int64, version uint32, err error) {
	var head [len(snapMagic) + 12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || string(head[:len(snapMagic)]) != snapMagic {
		return 0, 0, fmt.Errorf("detection state %s is damaged; remove it (findings are rebuilt from the store)", path)
	}
	return int64(binary.LittleEndian.Uint64(head[len(snapMagic)+4:])), binary.LittleEndian.Uint32(head[len(snapMagic):]), nil
}

func loadState(path string, maxSubjects int) (int64, *state, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, errNoState
	}
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	seq, v, err := readHead(r, path)
	if err != nil {
		return 0, nil, err
	}
	if v != snapVersion {
		// another layout: start empty from batch 0, the pipeline's replay
		// rebuilds the state exactly from the store
		return 0, nil, errNoState
	}
	st := &state{}
	if err := gob.NewDecoder(r).Decode(st); err != nil {
		return 0, nil, fmt.Errorf("detection state %s: %w", path, err)
	}
	st.fix(maxSubjects)
	return seq, st, nil
}

// Snapshot implements ingest.Snapshotter: the state covering every batch
// up to seq, written to a temporary file, synced and renamed, so a crash
// leaves the previous snapshot intact.
func (s *Stage) Snapshot(seq int64) error {
	if s.opt.StatePath == "" {
		s.seq = seq
		return nil
	}
	err := atomicfile.Write(s.opt.StatePath, func(w io.Writer) error {
		var head [len(snapMagic) + 12]byte
		copy(head[:], snapMagic)
		binary.LittleEndian.PutUint32(head[len(snapMagic):], snapVersion)
		binary.LittleEndian.PutUint64(head[len(snapMagic)+4:], uint64(seq))
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		return gob.NewEncoder(w).Encode(s.st)
	})
	if err != nil {
		return fmt.Errorf("detection snapshot: %w", err)
	}
	s.seq = seq
	return nil
}

// Reset forgets all detection state (e.g. before a rebuild from the store).
func (s *Stage) Reset() {
	s.st = newState(s.opt.MaxSubjects)
	s.seq = 0
	s.publish()
}

// Stats describes the state: entries per table (bounded by the caps) and
// how many were evicted, events seen and findings emitted.
type Stats struct {
	Events  uint64
	Emitted uint64
	Tables  map[string]TableStats
}

// TableStats is one table's size, capacity and evictions.
type TableStats struct {
	Len, Cap int
	Evicted  uint64
}

func (s *Stage) publish() {
	st := s.st
	t := map[string]TableStats{}
	add := func(name string, n, c int, ev uint64) { t[name] = TableStats{n, c, ev} }
	add("proxies", st.Proxies.len(), st.Proxies.Cap, st.Proxies.Evicted)
	add("virtual_hosts", st.Virt.len(), st.Virt.Cap, st.Virt.Evicted)
	add("proxy_ports", st.PortUse.len(), st.PortUse.Cap, st.PortUse.Evicted)
	add("tor", st.Tor.len(), st.Tor.Cap, st.Tor.Evicted)
	add("tunnels", st.Tunnels.len(), st.Tunnels.Cap, st.Tunnels.Evicted)
	add("tunnel_users", st.TunnelUsers.len(), st.TunnelUsers.Cap, st.TunnelUsers.Evicted)
	add("fronting", st.Fronts.len(), st.Fronts.Cap, st.Fronts.Evicted)
	add("chains", st.Chains.len(), st.Chains.Cap, st.Chains.Evicted)
	add("relay_candidates", st.Relays.len(), st.Relays.Cap, st.Relays.Evicted)
	add("cdn", st.CDN.len(), st.CDN.Cap, st.CDN.Evicted)
	add("cdn_users", st.CDNUsers.len(), st.CDNUsers.Cap, st.CDNUsers.Evicted)
	add("new_destinations", st.NewDest.len(), st.NewDest.Cap, st.NewDest.Evicted)
	add("intel", st.Intel.len(), st.Intel.Cap, st.Intel.Evicted)
	add("flows", st.Flows.len(), st.Flows.Cap, st.Flows.Evicted)
	add("cdn_resolutions", st.IPNames.len(), st.IPNames.Cap, st.IPNames.Evicted)
	add("cdn_names", st.NameCDN.len(), st.NameCDN.Cap, st.NameCDN.Evicted)
	add("dyndns_addresses", st.DynIP.len(), st.DynIP.Cap, st.DynIP.Evicted)
	add("free_ca_addresses", st.FreeCert.len(), st.FreeCert.Cap, st.FreeCert.Evicted)
	add("tls_baselines", st.JA.len(), st.JA.Cap, st.JA.Evicted)
	add("intel_memo", st.IntelMemo.len(), st.IntelMemo.Cap, st.IntelMemo.Evicted)
	add("resolved_names", st.Resolved.len(), st.Resolved.Cap, st.Resolved.Evicted)
	add("queried_names", st.Queried.len(), st.Queried.Cap, st.Queried.Evicted)
	add("first_contacts", st.NewIPs.len(), st.NewIPs.Cap, st.NewIPs.Evicted)
	add("dns_resolvers", st.Resolvers.len(), st.Resolvers.Cap, st.Resolvers.Evicted)
	s.shared.Store(&Stats{Events: s.stats.Events, Emitted: s.stats.Emitted, Tables: t})
}

// Stats returns the latest state description (safe from any goroutine;
// updated after each batch).
func (s *Stage) Stats() Stats {
	if p := s.shared.Load(); p != nil {
		return *p
	}
	return Stats{}
}
