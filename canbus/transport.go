package canbus

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the kind of transport a Spec names.
type Kind uint8

// The transports.
const (
	KindMem       Kind = iota + 1 // in-memory hub, in-process and deterministic
	KindSocketCAN                 // Linux SocketCAN: can0, vcan0, slcan0 …
	KindUDP                       // einride's UDP multicast emulator
)

func (k Kind) String() string {
	switch k {
	case KindMem:
		return "mem"
	case KindSocketCAN:
		return "socketcan"
	case KindUDP:
		return "udp"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Spec names a bus in the one syntax every lynxsim command accepts:
//
//	mem            an in-memory bus of the process (each role gets its own)
//	mem:NAME       an in-memory bus shared by name within the process
//	vcan0, can0    a SocketCAN interface (also written can:IFACE)
//	udp://GROUP:PORT  einride's UDP multicast emulator, GROUP an IPv4 multicast address;
//	               processes that use the same GROUP:PORT share the bus
type Spec struct {
	Kind Kind
	// Name is the hub name (mem; empty for the role's default), the interface (socketcan) or
	// host:port (udp).
	Name string
}

// SpecHelp is the one-line summary of the syntax, for flag help and error messages.
const SpecHelp = "mem, mem:NAME, a SocketCAN interface such as vcan0 or can0, or udp://239.x.x.x:PORT"

// Linux interface names: at most 15 bytes (IFNAMSIZ 16 with the terminating zero), no '/', no
// white space. We accept the usual characters.
var ifaceName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,14}$`)

// ParseSpec parses a bus name in the syntax described at Spec.
func ParseSpec(s string) (Spec, error) {
	bad := func(why string) (Spec, error) {
		return Spec{}, fmt.Errorf("bus %q: %s; want %s", s, why, SpecHelp)
	}
	switch {
	case s == "mem":
		return Spec{Kind: KindMem}, nil
	case strings.HasPrefix(s, "mem:"):
		name := strings.TrimPrefix(s, "mem:")
		if !ifaceName.MatchString(name) {
			return bad("a hub name is a letter followed by up to 14 letters, digits, '_', '.' or '-'")
		}
		return Spec{Kind: KindMem, Name: name}, nil
	case strings.HasPrefix(s, "udp://"):
		addr := strings.TrimPrefix(s, "udp://")
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return bad("no GROUP:PORT after udp://")
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() == nil || !ip.IsMulticast() {
			return bad(host + " is not an IPv4 multicast address (224.0.0.0 to 239.255.255.255)")
		}
		if p, err := strconv.ParseUint(port, 10, 16); err != nil {
			return bad("port " + port + " is not a number from 0 to 65535")
		} else if p == 0 {
			// Port 0 lets the system choose, so no other process can find the bus.
			return bad("port 0 would give this process a bus of its own; choose a port such as 20000")
		}
		return Spec{Kind: KindUDP, Name: addr}, nil
	case strings.Contains(s, "://"):
		return bad("unknown scheme")
	}
	name := strings.TrimPrefix(s, "can:")
	if !ifaceName.MatchString(name) {
		return bad("not an interface name")
	}
	return Spec{Kind: KindSocketCAN, Name: name}, nil
}

// String formats s in the syntax ParseSpec reads.
func (s Spec) String() string {
	switch s.Kind {
	case KindMem:
		if s.Name == "" {
			return "mem"
		}
		return "mem:" + s.Name
	case KindUDP:
		return "udp://" + s.Name
	}
	return s.Name
}

// Set and Type make a Spec usable as a command-line flag (pflag.Value).
func (s *Spec) Set(v string) error {
	p, err := ParseSpec(v)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// Type names the flag's value kind in help output.
func (s *Spec) Type() string { return "bus" }

// Network opens attachments by Spec. In-memory hubs are created on first use and shared by name,
// so that every node of a process that names the same hub is on the same bus.
type Network struct {
	hubs []*Hub
}

// OpenOption configures Network.Open.
type OpenOption func(*openConfig)

type openConfig struct {
	listenOnly  bool
	defaultName string
	bitrate     int
}

// ListenOnly opens an attachment that receives and never transmits.
func ListenOnly() OpenOption { return func(c *openConfig) { c.listenOnly = true } }

// DefaultName names the hub that a bare "mem" spec stands for (for example "vecan").
func DefaultName(name string) OpenOption { return func(c *openConfig) { c.defaultName = name } }

// Bitrate sets the bit rate a new in-memory hub reports its load against.
func Bitrate(bitsPerSecond int) OpenOption { return func(c *openConfig) { c.bitrate = bitsPerSecond } }

// Open attaches to the bus spec names.
func (n *Network) Open(ctx context.Context, spec Spec, opts ...OpenOption) (Bus, error) {
	cfg := openConfig{defaultName: "can", bitrate: DefaultBitrate}
	for _, o := range opts {
		o(&cfg)
	}
	switch spec.Kind {
	case KindMem:
		h := n.Hub(spec.Name, cfg.defaultName, cfg.bitrate)
		if cfg.listenOnly {
			return h.AttachListenOnly(), nil
		}
		return h.Attach(), nil
	case KindSocketCAN:
		return dialSocketCAN(ctx, spec.Name, cfg.listenOnly)
	case KindUDP:
		return dialUDP(ctx, spec.Name, cfg.listenOnly)
	}
	return nil, fmt.Errorf("bus %v: no transport of kind %v", spec, spec.Kind)
}

// Hub returns the hub called name (defaultName when name is empty), creating it if needed.
func (n *Network) Hub(name, defaultName string, bitrate int) *Hub {
	if name == "" {
		name = defaultName
	}
	for _, h := range n.hubs {
		if h.name == name {
			return h
		}
	}
	h := NewHub(name, WithBitrate(bitrate))
	n.hubs = append(n.hubs, h)
	return h
}

// Hubs returns the in-memory hubs opened so far, in the order they were created. The driver
// delivers their frames once per step.
func (n *Network) Hubs() []*Hub { return n.hubs }
