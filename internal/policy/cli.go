package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// FileError is a policy file's problems as "file:line:col: message" lines,
// the form `postern policy check` and `postern policy test` print.
type FileError struct {
	Path  string
	Lines []string
	Err   error // the underlying *Error, ErrorList or *TestsError
}

func (e *FileError) Error() string { return strings.Join(e.Lines, "\n") }

func (e *FileError) Unwrap() error { return e.Err }

// fileError prefixes each positioned problem in err with path.
func fileError(path string, err error) error {
	fe := &FileError{Path: path, Err: err}
	var list ErrorList
	var one *Error
	var te *TestsError
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			fe.Lines = append(fe.Lines, path+":"+e.Error())
		}
	case errors.As(err, &one):
		fe.Lines = append(fe.Lines, path+":"+one.Error())
	case errors.As(err, &te):
		for _, d := range te.Data {
			fe.Lines = append(fe.Lines, fmt.Sprintf("%s:%d:%d: %s: test src %q: %s", path, d.Line, d.Col, te.Message, d.User, strings.Join(d.Errors, "; ")))
		}
	default:
		fe.Lines = append(fe.Lines, path+": "+err.Error())
	}
	return fe
}

// CheckFile parses and validates text, the policy file read from path,
// offline, checking postures against cat. Errors come as a *FileError of
// "file:line:col: message" lines.
func CheckFile(path string, text []byte, cat *posture.Catalog) error {
	if _, err := Parse(text, cat); err != nil {
		return fileError(path, err)
	}
	return nil
}

// TestFile validates text, the policy file read from path, and runs its
// tests block, offline, against the topology read from topology (the
// conformance vectors' users/nodes JSON). With a nil topology it invents
// one: a user for every email the policy names and a device for each user
// and tag.
func TestFile(path string, text []byte, cat *posture.Catalog, topology io.Reader) error {
	p, err := Parse(text, cat)
	if err != nil {
		return fileError(path, err)
	}
	var users []User
	var nodes []Node
	if topology != nil {
		if users, nodes, err = LoadTopology(topology); err != nil {
			return fmt.Errorf("testing policy %s: %w", path, err)
		}
	} else {
		users, nodes = syntheticTopology(p)
	}
	c, err := Compile(p, users, nodes)
	if err != nil {
		return fmt.Errorf("testing policy %s: %w", path, err)
	}
	if err := c.RunTests(); err != nil {
		return fileError(path, err)
	}
	return nil
}

// syntheticTopology gives every email the policy mentions one device and
// every tag one device, so tests can run without a real tailnet.
func syntheticTopology(p *Policy) ([]User, []Node) {
	emails := map[string]bool{}
	note := func(s string) {
		host := s
		if h, _, ok := splitHostPort(s); ok && strings.Contains(h, "@") {
			host = h
		}
		if strings.Contains(host, "@") && !strings.HasPrefix(host, "group:") {
			emails[strings.ToLower(host)] = true
		}
	}
	for _, ms := range p.Groups {
		for _, m := range ms {
			note(m)
		}
	}
	for _, r := range p.Rules {
		for _, s := range r.Src {
			note(s.Name)
		}
		for _, l := range r.Legs {
			note(l.Dst.Name)
		}
	}
	for _, t := range p.Tests {
		note(t.Src)
		for _, d := range append(append([]string(nil), t.Accept...), t.Deny...) {
			note(d)
		}
	}
	var names []string
	for e := range emails {
		names = append(names, e)
	}
	sort.Strings(names)
	var tags []string
	for t := range p.TagOwners {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	var users []User
	var nodes []Node
	next := func(name string) Node {
		i := len(nodes) + 1
		return Node{
			ID: int64(i), Name: name,
			IPv4: netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)}),
			IPv6: netip.AddrFrom16([16]byte{0: 0xfd, 1: 0x7a, 2: 0x11, 3: 0x5c, 4: 0xa1, 5: 0xe0, 14: byte(i >> 8), 15: byte(i)}),
		}
	}
	for _, e := range names {
		users = append(users, User{LoginName: e, Role: postern.RoleMember})
		n := next(e)
		n.User = e
		nodes = append(nodes, n)
	}
	for _, t := range tags {
		n := next(t)
		n.Tags = []string{t}
		nodes = append(nodes, n)
	}
	return users, nodes
}

// FiltersJSON compiles p against users and nodes and returns, as JSON, a
// map of node name to the packet filter that node would receive ([] when
// it receives none).
func FiltersJSON(p *Policy, users []User, nodes []Node) ([]byte, error) {
	c, err := Compile(p, users, nodes)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]tailcfg.FilterRule, len(nodes))
	for _, n := range nodes {
		f := c.Filter(n.ID)
		if f == nil {
			f = []tailcfg.FilterRule{}
		}
		out[n.Name] = f
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding filters: %w", err)
	}
	return b, nil
}
