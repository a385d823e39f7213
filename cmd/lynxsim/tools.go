package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/decode"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
)

// pollEvery is how often the live tools look at the bus: fast enough that a 250 kbit/s bus never
// fills the attachment's queue (4 096 frames, about two seconds of a saturated bus).
const pollEvery = 10 * time.Millisecond

// openLiveBus opens a bus another process is on: an in-memory bus would be this process's alone.
func openLiveBus(ctx context.Context, spec string, opts ...canbus.OpenOption) (canbus.Bus, error) {
	s, err := canbus.ParseSpec(spec)
	if err != nil {
		return nil, usage("--bus: %v", err)
	}
	if s.Kind == canbus.KindMem {
		return nil, usage("--bus %s: an in-memory bus belongs to one process; give the bus lynxsim run uses, udp://GROUP:PORT or a SocketCAN interface", spec)
	}
	var n canbus.Network
	b, err := n.Open(ctx, s, opts...)
	if err != nil {
		return nil, usage("--bus: %v", err)
	}
	return b, nil
}

func newMonitorCmd() *cobra.Command {
	var bus string
	var duration time.Duration
	var lines, asJSON bool
	cmd := &cobra.Command{
		Use:   "monitor --bus BUS",
		Short: "Decode a live bus and keep the table a GX would show, by Venus OS dbus path",
		Long: `Listen to a live bus (never transmitting), decode every frame as lynxsim decode does, and keep
"what the GX sees": per BMS, the Venus OS dbus paths (/Soc, /Dc/0/Voltage, /Info/MaxChargeCurrent,
/Alarms/*, /Io/AllowToCharge, …). On a terminal the table refreshes in place; elsewhere, or with
--lines, each message is printed as it arrives and the table at the end.`,
		Example: `  lynxsim run --vecan udp://239.64.142.206:20000 &
  lynxsim monitor --bus udp://239.64.142.206:20000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bus == "" {
				return usage("monitor: --bus is required, e.g. --bus vcan0 or --bus udp://239.64.142.206:20000")
			}
			if duration < 0 {
				return usage("--duration %v: want a positive duration such as 30s, or 0 to run until Ctrl-C", duration)
			}
			b, err := openLiveBus(cmd.Context(), bus, canbus.ListenOnly())
			if err != nil {
				return err
			}
			defer b.Close()
			out := cmd.OutOrStdout()
			return monitor(cmd.Context(), b, busName(bus), out, isTerminal(out) && !lines, asJSON, duration)
		},
	}
	f := cmd.Flags()
	f.StringVar(&bus, "bus", "", "bus to listen to: "+canbus.SpecHelp)
	f.DurationVar(&duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	f.BoolVar(&lines, "lines", false, "print each message as it arrives, even on a terminal")
	f.BoolVar(&asJSON, "json", false, "messages as JSON lines (implies --lines)")
	return cmd
}

func busName(spec string) string {
	s, err := canbus.ParseSpec(spec)
	if err != nil || s.Kind == canbus.KindUDP {
		return "udp"
	}
	return s.Name
}

func monitor(ctx context.Context, b canbus.Bus, iface string, out io.Writer, table, asJSON bool, duration time.Duration) error {
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	d := decode.New()
	view := decode.NewGXView()
	var line []byte
	emit := func(m *decode.Message) {
		view.Apply(m)
		if table {
			return
		}
		if asJSON {
			line = decode.AppendJSON(line[:0], m)
		} else {
			line = decode.AppendText(line[:0], m)
		}
		line = append(line, '\n')
		_, _ = out.Write(line)
	}
	screen := &tableScreen{out: out}
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	var rx []can.Frame
	lastDraw := time.Time{}
	for {
		select {
		case <-ctx.Done():
			if table {
				screen.draw(renderView(view, d.Stats()))
			} else {
				fmt.Fprintln(out)
				_, _ = io.WriteString(out, renderView(view, d.Stats()))
			}
			return nil
		case <-ticker.C:
		}
		now := time.Now()
		rx = b.Receive(rx[:0])
		for _, f := range rx {
			d.Decode(canbus.Record{Time: now, Interface: iface, Frame: f}, emit)
		}
		if table && now.Sub(lastDraw) >= refreshEvery {
			lastDraw = now
			screen.draw(renderView(view, d.Stats()))
		}
	}
}

// tableScreen redraws a block of text in place on a terminal: back up over the lines drawn last
// time, and clear what remains of each old line.
type tableScreen struct {
	out   io.Writer
	lines int // lines drawn last time
}

func (s *tableScreen) draw(text string) {
	var b strings.Builder
	if s.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", s.lines)
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(l)
		b.WriteString("\x1b[K\n")
	}
	s.lines = strings.Count(b.String(), "\n")
	_, _ = io.WriteString(s.out, b.String())
}

func renderView(v *decode.GXView, st decode.Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "what the GX sees: %d frames, %d messages\n", st.Frames, st.Messages)
	ifaces := map[string]bool{}
	for _, d := range v.Devices() {
		fmt.Fprintf(&b, "battery service on %s, source 0x%02X\n", d.Interface, d.Source)
		for _, p := range d.Paths() {
			fmt.Fprintf(&b, "  %-36s %s\n", p.Path, p)
		}
		ifaces[d.Interface] = true
	}
	for iface := range ifaces {
		c, ok := v.Combined(iface)
		if !ok {
			continue
		}
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		fmt.Fprintf(&b, "combined on %s (what the GX's DVCC does with %d BMSes: the lowest limits; any BMS blocking blocks)\n", iface, c.BMSes)
		fmt.Fprintf(&b, "  %-36s %s\n", "allow to charge", yes(c.AllowCharge))
		fmt.Fprintf(&b, "  %-36s %s\n", "allow to discharge", yes(c.AllowDischarge))
		if len(c.Blocking) > 0 {
			fmt.Fprintf(&b, "  %-36s %v\n", "blocked by sources", c.Blocking)
		}
		fmt.Fprintf(&b, "  %-36s %s (0x%02X)\n", "/Info/MaxChargeVoltage", c.ChargeVolts, c.ChargeVoltsFrom)
		fmt.Fprintf(&b, "  %-36s %s (0x%02X)\n", "/Info/MaxChargeCurrent", c.ChargeAmps, c.ChargeAmpsFrom)
		fmt.Fprintf(&b, "  %-36s %s (0x%02X)\n", "/Info/MaxDischargeCurrent", c.DischargeAmps, c.DischargeAmpsFrom)
	}
	return b.String()
}

func newVREGCmd() *cobra.Command {
	var o vregOptions
	cmd := &cobra.Command{
		Use:   "vreg",
		Short: "Read and write a node's VREG registers over VE.Can, as a GX does",
	}
	flags := func(c *cobra.Command) {
		f := c.Flags()
		f.StringVar(&o.bus, "bus", "", "VE.Can bus: "+canbus.SpecHelp)
		f.StringVar(&o.node, "node", "0x50", "the node's NMEA 2000 address")
		f.StringVar(&o.from, "from", "0x20", "this tool's source address")
		f.DurationVar(&o.timeout, "timeout", time.Second, "how long to wait for the answer")
	}
	get := &cobra.Command{
		Use:     "get REGISTER",
		Short:   "Request a register and print its value",
		Example: "  lynxsim vreg get --bus vcan0 SOC\n  lynxsim vreg get --bus vcan0 --node 0x50 0x0102",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return vregRun(cmd.Context(), cmd.OutOrStdout(), o, args[0], "")
		},
	}
	set := &cobra.Command{
		Use:     "set REGISTER VALUE",
		Short:   "Write a register (VALUE in the register's unit, or 0x… raw) and print the result",
		Example: "  lynxsim vreg set --bus vcan0 SOC 80\n  lynxsim vreg set --bus vcan0 VE_REG_RELAY_CONTROL 1",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[1] == "" {
				return usage("vreg set %s: the value is empty; give a number in the register's unit, or 0x… raw", args[0])
			}
			return vregRun(cmd.Context(), cmd.OutOrStdout(), o, args[0], args[1])
		},
	}
	flags(get)
	flags(set)
	cmd.AddCommand(get, set)
	return cmd
}

type vregOptions struct {
	bus, node, from string
	timeout         time.Duration
}

// parseAddress reads an NMEA 2000 address: 0..252, decimal or 0x hex.
func parseAddress(flag, s string) (uint8, error) {
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil || v > uint64(n2k.MaxAddress) {
		return 0, usage("--%s %q: want an address from 0 to 252, such as 0x50", flag, s)
	}
	return uint8(v), nil
}

// lookupRegister finds a register by id (0x0FFF, 4095), full name (VE_REG_SOC) or short name
// (SOC, soc).
func lookupRegister(s string) (vecan.RegisterInfo, error) {
	info, err := vecan.FindRegister(s)
	if err != nil {
		return info, usage("%v", err)
	}
	return info, nil
}

func vregRun(ctx context.Context, out io.Writer, o vregOptions, regArg, valueArg string) error {
	if o.bus == "" {
		return usage("vreg: --bus is required, e.g. --bus vcan0")
	}
	node, err := parseAddress("node", o.node)
	if err != nil {
		return err
	}
	from, err := parseAddress("from", o.from)
	if err != nil {
		return err
	}
	if o.timeout <= 0 {
		return usage("--timeout %v: want a positive duration such as 1s", o.timeout)
	}
	info, err := lookupRegister(regArg)
	if err != nil {
		return err
	}
	write := valueArg != ""
	var raw uint32
	if write {
		if raw, err = parseValue(info, valueArg); err != nil {
			return err
		}
	}
	b, err := openLiveBus(ctx, o.bus)
	if err != nil {
		return err
	}
	defer b.Close()

	q := vecan.RequestFrame(from, node, info.ID)
	if write {
		q = vecan.CommandFrame(from, node, info.ID, raw, info.Size())
	}
	if err := b.Send(q); err != nil {
		return fmt.Errorf("sending to %s: %v", o.bus, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	reasm := n2k.NewReassembler(n2k.DefaultFastTimeout)
	start := time.Now()
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	var rx []can.Frame
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer from node 0x%02X about %s within %v: check --bus and --node, and that the node is running", node, info.Name, o.timeout)
		case <-ticker.C:
		}
		rx = b.Receive(rx[:0])
		for _, f := range rx {
			if info.Type == vecan.String && f.IsExtended && n2k.ParseCANID(f.ID).PGN == vecan.PGNVREGLong {
				if msg, ok := reasm.Add(time.Since(start), f); ok && msg.ID.Source == node {
					if reg, value, ok := vecan.ParseLongPayload(msg.Payload); ok && reg == info.ID {
						fmt.Fprintf(out, "%s (0x%04X) = %s\n", info.Name, uint16(info.ID), info.FormatLong(value))
						return nil
					}
				}
				continue
			}
			value, ack, isAck, ok := vecan.MatchReply(f, node, info.ID)
			if !ok {
				continue
			}
			if isAck {
				if ack.IsError() {
					return fmt.Errorf("node 0x%02X refused %s: %v", node, info.Name, ack)
				}
				if write {
					fmt.Fprintf(out, "%s (0x%04X) written: %s\n", info.Name, uint16(info.ID), info.Format(raw))
					return nil
				}
				continue
			}
			fmt.Fprintf(out, "%s (0x%04X) = %s\n", info.Name, uint16(info.ID), info.Format(value))
			return nil
		}
	}
}

// parseValue reads a value to write: 0x… is raw; anything else is a number in the register's
// unit, converted and range-checked by the table.
func parseValue(info vecan.RegisterInfo, s string) (uint32, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if errors.Is(err, strconv.ErrRange) {
			return 0, usage("value %s: more than 32 bits; want 0x0 to 0xFFFFFFFF", s)
		}
		if err != nil {
			return 0, usage("value %q: not a hex number; write raw values as 0x followed by hex digits, such as 0x1F40", s)
		}
		if n := info.Type.Size(); n > 0 && n < 4 && v>>(8*n) != 0 {
			return 0, usage("value %s: %s holds %d bytes (%s); want at most 0x%X", s, info.Name, n, info.Type, uint64(1)<<(8*n)-1)
		}
		return uint32(v), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, usage("value %q: want a number in %s's unit (%s), or 0x… raw", s, info.Name, unitOrNone(info.Unit))
	}
	raw, err := info.Raw(f)
	if err != nil {
		return 0, usage("value %s for %s: %v", s, info.Name, err)
	}
	return raw, nil
}

func unitOrNone(u string) string {
	if u == "" {
		return "no unit"
	}
	return u
}
