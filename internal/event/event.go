// Package event holds nethunt's one normalized event model: a typed view of a
// Suricata EVE record plus the original line, so that hunting works on typed
// columns while an analyst can always see the event whole.
//
// The struct tags follow EVE names exactly; keys the model does not know stay
// in Raw and are never dropped.
package event

import (
	"net/netip"
	"time"
)

// Event is one normalized EVE record. Pointer sub-objects are nil when the
// record does not carry them, which is what makes "field exists" queries cheap.
type Event struct {
	// Parsed, normalized values (filled by the decoder, not by JSON).
	Time    time.Time  `json:"-"`
	SrcIP   netip.Addr `json:"-"`
	DestIP  netip.Addr `json:"-"`
	Raw     []byte     `json:"-"` // the original line, owned by the event
	Enrich  Enrichment `json:"-"`
	Warning string     `json:"-"` // set when a field had to be coerced or dropped

	Timestamp     string    `json:"timestamp"`
	FlowID        uint64    `json:"flow_id"`
	ParentID      uint64    `json:"parent_id"`
	EventType     string    `json:"event_type"`
	SrcIPStr      string    `json:"src_ip"`
	SrcPort       int64     `json:"src_port"`
	DestIPStr     string    `json:"dest_ip"`
	DestPort      int64     `json:"dest_port"`
	Proto         string    `json:"proto"`
	AppProto      string    `json:"app_proto"`
	AppProtoOrig  string    `json:"app_proto_orig"`
	CommunityID   string    `json:"community_id"`
	Host          string    `json:"host"`
	InIface       string    `json:"in_iface"`
	Vlan          []int64   `json:"vlan"`
	TxID          *int64    `json:"tx_id"`
	PcapCnt       int64     `json:"pcap_cnt"`
	Direction     string    `json:"direction"`
	PktSrc        string    `json:"pkt_src"`
	XFF           string    `json:"xff"` // root-level xff of http records in extra-data mode
	IcmpType      *int64    `json:"icmp_type"`
	IcmpCode      *int64    `json:"icmp_code"`
	Metadata      *Meta     `json:"metadata"`
	Alert         *Alert    `json:"alert"`
	Flow          *Flow     `json:"flow"`
	HTTP          *HTTP     `json:"http"`
	TLS           *TLS      `json:"tls"`
	DNS           *DNS      `json:"dns"`
	FileInfo      *File     `json:"fileinfo"`
	SMB           *SMB      `json:"smb"`
	Krb5          *Krb5     `json:"krb5"`
	DHCP          *DHCP     `json:"dhcp"`
	SSH           *SSH      `json:"ssh"`
	QUIC          *QUIC     `json:"quic"`
	SMTP          *SMTP     `json:"smtp"`
	FTP           *FTP      `json:"ftp"`
	Anomaly       *Anomaly  `json:"anomaly"`
	Sighting      *Sighting `json:"sighting"`
	Finding       *Finding  `json:"finding"`
	SuricataVer   string    `json:"suricata_version"`
	PayloadLength *int64    `json:"payload_length"`
}

// Enrichment is what nethunt adds to an event; it is filled by the enrich
// stage and stored in its own columns, never mixed into the sensor's data.
type Enrichment struct {
	SrcGroups  []string
	DestGroups []string
	Tags       []string

	SrcGeo, DestGeo Geo        // when GeoIP databases are configured
	Intel           []IntelHit // threat-intelligence matches
	// Name is the event's host name (tls.sni, else quic.sni, else
	// http.hostname, else the first DNS query name); Domain its registered
	// domain (public suffix + 1).
	Name, Domain string
	CDN          string   // CDN provider when the destination (address or name) is CDN infrastructure
	Tunnel       string   // tunnelling service (ngrok, trycloudflare, ...) the name belongs to
	DynDNS       string   // dynamic-DNS provider of the name
	Tor          string   // dest-relay, src-relay, onion or tor2web
	ProxyPort    string   // label when dest_port is a well-known proxy port
	CertTraits   []string // letsencrypt, free_ca, self_signed, short_validity, tor_like, ...
	HostRandom   bool     // the name's first label looks machine-generated
}

// Geo is where an address is, from MaxMind-format databases.
type Geo struct {
	Country string
	ASN     uint32
	ASOrg   string
}

// IntelHit is one threat-intelligence indicator an event matched.
type IntelHit struct {
	Type, Value, Field, Source, Description string
	Confidence                              int
}

// Meta carries Suricata's flowbits, which Stamus and ET rules use as tags.
type Meta struct {
	Flowbits []string `json:"flowbits"`
}

type Alert struct {
	Action      string              `json:"action"`
	GID         int64               `json:"gid"`
	SignatureID int64               `json:"signature_id"`
	Rev         int64               `json:"rev"`
	Signature   string              `json:"signature"`
	Category    string              `json:"category"`
	Severity    int64               `json:"severity"`
	Metadata    map[string][]string `json:"metadata"`
	XFF         string              `json:"xff"`
	Source      *Endpoint           `json:"source"`
	Target      *Endpoint           `json:"target"`
}

type Endpoint struct {
	IP   string `json:"ip"`
	Port int64  `json:"port"`
}

type Flow struct {
	PktsToServer  int64  `json:"pkts_toserver"`
	PktsToClient  int64  `json:"pkts_toclient"`
	BytesToServer int64  `json:"bytes_toserver"`
	BytesToClient int64  `json:"bytes_toclient"`
	Start         string `json:"start"`
	End           string `json:"end"`
	Age           int64  `json:"age"`
	State         string `json:"state"`
	Reason        string `json:"reason"`
	Alerted       *bool  `json:"alerted"` // absent in Suricata 7 alert records' flow object
	Action        string `json:"action"`
	SrcIP         string `json:"src_ip"`
	DestIP        string `json:"dest_ip"`
	SrcPort       int64  `json:"src_port"`
	DestPort      int64  `json:"dest_port"`
}

type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type HTTP struct {
	Hostname        string   `json:"hostname"`
	URL             string   `json:"url"`
	UserAgent       string   `json:"http_user_agent"`
	ContentType     string   `json:"http_content_type"`
	Refer           string   `json:"http_refer"`
	Method          string   `json:"http_method"`
	Protocol        string   `json:"protocol"`
	Status          *int64   `json:"status"`
	StatusString    string   `json:"status_string"`
	Redirect        string   `json:"redirect"`
	Length          int64    `json:"length"`
	Port            *int64   `json:"http_port"`
	XFF             string   `json:"xff"`
	Version         string   `json:"version"`
	RequestHeaders  []Header `json:"request_headers"`
	ResponseHeaders []Header `json:"response_headers"`
}

type Hash struct {
	Hash   string `json:"hash"`
	String string `json:"string"`
}

type TLS struct {
	Version        string   `json:"version"`
	SNI            string   `json:"sni"`
	Subject        string   `json:"subject"`
	IssuerDN       string   `json:"issuerdn"`
	Serial         string   `json:"serial"`
	Fingerprint    string   `json:"fingerprint"`
	NotBefore      string   `json:"notbefore"`
	NotAfter       string   `json:"notafter"`
	SessionResumed bool     `json:"session_resumed"`
	JA3            *Hash    `json:"ja3"`
	JA3S           *Hash    `json:"ja3s"`
	JA4            string   `json:"ja4"`
	SubjectAltName []string `json:"subjectaltname"`
	ClientALPNs    []string `json:"client_alpns"`
	ServerALPNs    []string `json:"server_alpns"`
}

// DNS accepts the legacy v1, the 7.0 "v2" and the 8.0 "v3" layouts; the
// decoder folds them into Names and Answers so hunts need not care.
type DNS struct {
	Version  int64          `json:"version"`
	Type     string         `json:"type"`
	ID       int64          `json:"id"`
	Flags    string         `json:"flags"`
	RCode    string         `json:"rcode"`
	RRName   string         `json:"rrname"` // v1/v2 flat
	RRType   string         `json:"rrtype"` // v1/v2 flat
	RData    string         `json:"rdata"`  // v1 flat answer
	TTL      int64          `json:"ttl"`
	Queries  []DNSQuery     `json:"queries"` // v3
	Query    []DNSQuery     `json:"query"`   // v2 inside alerts
	Answers  []DNSAnswer    `json:"answers"`
	Grouped  map[string]any `json:"grouped"`
	Opcode   int64          `json:"opcode"`
	TxIDIn   int64          `json:"tx_id"`
	Truncate bool           `json:"rrname_truncated"`

	// Normalized by the decoder.
	Names      []string `json:"-"`
	QTypes     []string `json:"-"`
	AnswerData []string `json:"-"`
	AnswerType []string `json:"-"`
}

type DNSQuery struct {
	RRName string `json:"rrname"`
	RRType string `json:"rrtype"`
}

type DNSAnswer struct {
	RRName string `json:"rrname"`
	RRType string `json:"rrtype"`
	TTL    int64  `json:"ttl"`
	RData  string `json:"rdata"`
}

type File struct {
	Filename string `json:"filename"`
	Magic    string `json:"magic"`
	MD5      string `json:"md5"`
	SHA1     string `json:"sha1"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	State    string `json:"state"`
	Stored   bool   `json:"stored"`
	Gaps     bool   `json:"gaps"`
}

type NTLMSSP struct {
	Domain string `json:"domain"`
	User   string `json:"user"`
	Host   string `json:"host"`
}

type SMBKerberos struct {
	Realm  string   `json:"realm"`
	SNames []string `json:"snames"`
}

type SMB struct {
	Command    string       `json:"command"`
	Dialect    string       `json:"dialect"`
	Status     string       `json:"status"`
	Filename   string       `json:"filename"`
	Share      string       `json:"share"`
	NamedPipe  string       `json:"named_pipe"`
	Function   string       `json:"function"`
	NTLMSSP    *NTLMSSP     `json:"ntlmssp"`
	Kerberos   *SMBKerberos `json:"kerberos"`
	ClientDial []string     `json:"client_dialects"`
}

type Krb5 struct {
	MsgType           string `json:"msg_type"`
	CName             string `json:"cname"`
	Realm             string `json:"realm"`
	SName             string `json:"sname"`
	Encryption        string `json:"encryption"`
	WeakEncryption    bool   `json:"weak_encryption"`
	TicketEncryption  string `json:"ticket_encryption"`
	TicketWeakEncrypt bool   `json:"ticket_weak_encryption"`
	ErrorCode         string `json:"error_code"`
	FailedRequest     string `json:"failed_request"`
}

type DHCP struct {
	Type          string   `json:"type"`
	ID            int64    `json:"id"`
	ClientMAC     string   `json:"client_mac"`
	ClientIP      string   `json:"client_ip"`
	AssignedIP    string   `json:"assigned_ip"`
	RequestedIP   string   `json:"requested_ip"`
	DHCPType      string   `json:"dhcp_type"`
	Hostname      string   `json:"hostname"`
	VendorClassID string   `json:"vendor_class_identifier"`
	DNSServers    []string `json:"dns_servers"`
	Routers       []string `json:"routers"`
	LeaseTime     int64    `json:"lease_time"`
}

type SSHPeer struct {
	ProtoVersion    string `json:"proto_version"`
	SoftwareVersion string `json:"software_version"`
	HASSH           *Hash  `json:"hassh"`
}

type SSH struct {
	Client *SSHPeer `json:"client"`
	Server *SSHPeer `json:"server"`
}

type QUIC struct {
	Version string `json:"version"`
	SNI     string `json:"sni"`
	UA      string `json:"ua"`
	JA3     *Hash  `json:"ja3"`
	JA3S    *Hash  `json:"ja3s"`
	JA4     string `json:"ja4"`
}

type SMTP struct {
	Helo     string   `json:"helo"`
	MailFrom string   `json:"mail_from"`
	RcptTo   []string `json:"rcpt_to"`
}

type FTP struct {
	Command        string   `json:"command"`
	CommandData    string   `json:"command_data"`
	CompletionCode []string `json:"completion_code"`
	Reply          []string `json:"reply"`
}

type Anomaly struct {
	Type     string `json:"type"`
	Event    string `json:"event"`
	Layer    string `json:"layer"`
	AppProto string `json:"app_proto"`
	Code     int64  `json:"code"`
}

// Sighting is nethunt's record of a value seen for the first time on the
// network (event_type "sighting"); it is stored and hunted like any event.
type Sighting struct {
	Key         string   `json:"key"`
	Value       string   `json:"value"`
	Asset       string   `json:"asset"`
	AssetSide   string   `json:"asset_side"`
	AssetRole   []string `json:"asset_role"`
	AssetGroup  []string `json:"asset_group"`
	TriggerType string   `json:"trigger_event_type"`
}

// Finding is a detection nethunt derived (event_type "finding"): stored and
// hunted like any event, e.g. `event_type:finding AND finding.technique:T1090.003`.
// The escalation decision is explained by Reasons, never a bare score.
type Finding struct {
	ID           string   `json:"id"`        // stable: same detection, same id (idempotency key)
	Detector     string   `json:"detector"`  // e.g. unapproved_http_proxy
	Kind         string   `json:"kind"`      // what was found, e.g. internal_proxy, tor, domain_fronting
	Technique    string   `json:"technique"` // MITRE ATT&CK id, e.g. T1090.001
	Title        string   `json:"title"`
	Explanation  string   `json:"explanation"`
	Severity     string   `json:"severity"` // low, medium, high
	Score        int64    `json:"score"`
	Decision     string   `json:"decision"` // escalate or review
	Reasons      []string `json:"reasons"`  // each with its contribution, e.g. "+40 Tor relay contacted"
	Hosts        []string `json:"hosts"`    // every host involved
	Clients      []string `json:"clients"`
	Proxy        string   `json:"proxy"`        // ip[:port] of the proxy or pivot, when there is one
	Destinations []string `json:"destinations"` // external IPs/domains
	Domains      []string `json:"domains"`
	HopCount     int64    `json:"hop_count"`
	Evidence     []string `json:"evidence"` // references of evidence events: "flow_id:<n>" or "community_id:<id>" or "<event_type>@<timestamp>"
	FirstSeen    string   `json:"first_seen"`
	LastSeen     string   `json:"last_seen"`
	EventCount   int64    `json:"event_count"`
}
