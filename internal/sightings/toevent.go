package sightings

import (
	"github.com/nethunt/nethunt/internal/jsonw"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nethunt/nethunt/internal/event"
)

// EventType is the event_type of sighting records.
const EventType = "sighting"

// timeLayout is Suricata's EVE timestamp (microseconds, offset without colon);
// in UTC it ends in +0000.
const timeLayout = "2006-01-02T15:04:05.000000-0700"

// ToEvent turns a sighting into an event of event_type "sighting": the
// trigger's time, addresses, ports, protocols, flow id, sensor and community
// id, plus event.Sighting. Raw is the EVE-style JSON line, which
// decode.Decode turns back into the same event:
//
//	{"timestamp":"2024-05-01T08:00:00.123456+0000","flow_id":1,"event_type":"sighting",
//	 "src_ip":"10.0.0.5","src_port":51000,"dest_ip":"93.184.216.34","dest_port":443,
//	 "proto":"TCP","app_proto":"tls","sighting":{"key":"tls.sni","value":"example.com",
//	 "asset":"93.184.216.34","asset_side":"dest","trigger_event_type":"tls"}}
//
// asset_role and asset_group are left for the enrich stage.
func ToEvent(s Sighting) *event.Event {
	ts := s.Time.UTC().Truncate(time.Microsecond)
	ev := &event.Event{
		Time:        ts,
		Timestamp:   ts.Format(timeLayout),
		FlowID:      s.FlowID,
		EventType:   EventType,
		SrcIP:       s.SrcIP,
		DestIP:      s.DestIP,
		SrcPort:     s.SrcPort,
		DestPort:    s.DestPort,
		Proto:       valid(s.Proto),
		AppProto:    valid(s.AppProto),
		Host:        valid(s.Host),
		CommunityID: valid(s.CommunityID),
		Sighting: &event.Sighting{
			Key:         s.Key,
			Value:       valid(s.Value),
			AssetSide:   s.AssetSide,
			TriggerType: s.EventType,
		},
	}
	if s.SrcIP.IsValid() {
		ev.SrcIPStr = s.SrcIP.String()
	}
	if s.DestIP.IsValid() {
		ev.DestIPStr = s.DestIP.String()
	}
	if s.Asset.IsValid() {
		ev.Sighting.Asset = s.Asset.String()
	}
	ev.Raw = appendJSON(make([]byte, 0, 320+len(s.Value)), ev)
	return ev
}

// valid makes s valid UTF-8 the way Raw will be, so that the event and its
// decoded line agree.
func valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// appendJSON writes the line by hand: fixed key order (Suricata's), no HTML
// escaping of values such as User-Agents, no reflection.
func appendJSON(b []byte, ev *event.Event) []byte {
	b = append(b, `{"timestamp":`...)
	b = jsonw.AppendString(b, ev.Timestamp)
	if ev.FlowID != 0 {
		b = append(b, `,"flow_id":`...)
		b = strconv.AppendUint(b, ev.FlowID, 10)
	}
	b = append(b, `,"event_type":"sighting"`...)
	b = appendField(b, "src_ip", ev.SrcIPStr)
	if ev.SrcPort != 0 {
		b = append(b, `,"src_port":`...)
		b = strconv.AppendInt(b, ev.SrcPort, 10)
	}
	b = appendField(b, "dest_ip", ev.DestIPStr)
	if ev.DestPort != 0 {
		b = append(b, `,"dest_port":`...)
		b = strconv.AppendInt(b, ev.DestPort, 10)
	}
	b = appendField(b, "proto", ev.Proto)
	b = appendField(b, "app_proto", ev.AppProto)
	b = appendField(b, "community_id", ev.CommunityID)
	b = appendField(b, "host", ev.Host)
	s := ev.Sighting
	b = append(b, `,"sighting":{"key":`...)
	b = jsonw.AppendString(b, s.Key)
	b = append(b, `,"value":`...)
	b = jsonw.AppendString(b, s.Value)
	b = appendField(b, "asset", s.Asset)
	b = appendField(b, "asset_side", s.AssetSide)
	b = appendField(b, "trigger_event_type", s.TriggerType)
	b = appendList(b, "asset_group", s.AssetGroup)
	b = appendList(b, "asset_role", s.AssetRole)
	return append(b, "}}"...)
}

func appendList(b []byte, name string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, v)
	}
	return append(b, ']')
}

// Annotate sets the asset's network groups and roles on a sighting event
// and re-renders its line, so the stored line and columns agree.
func Annotate(ev *event.Event, groups, roles []string) {
	if ev.Sighting == nil || (len(groups) == 0 && len(roles) == 0) {
		return
	}
	ev.Sighting.AssetGroup, ev.Sighting.AssetRole = groups, roles
	ev.Raw = appendJSON(ev.Raw[:0], ev)
}

func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonw.AppendString(b, v)
}
