package canbus

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"go.einride.tech/can/pkg/candevice"
)

// SetBitrate sets a Linux CAN interface's bit rate through netlink (einride's pkg/candevice):
// the interface goes down, takes the rate, and comes up again. It needs root (CAP_NET_ADMIN), and
// a real CAN interface: a vcan has no bit rate.
func SetBitrate(iface string, bitsPerSecond uint32) error {
	if bitsPerSecond == 0 || bitsPerSecond > 1_000_000 {
		return fmt.Errorf("bit rate %d: want 1 to 1000000 bit/s (VE.Can 250000, CAN-bus BMS 500000)", bitsPerSecond)
	}
	d, err := candevice.New(iface)
	if err != nil {
		return fmt.Errorf("CAN interface %s: %v: check its name (ip link)", iface, err)
	}
	explain := func(step string, err error) error {
		switch {
		case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
			return fmt.Errorf("%s the bit rate of %s: permission denied: run as root (CAP_NET_ADMIN), or set it beforehand with `ip link set %s type can bitrate %d`", step, iface, iface, bitsPerSecond)
		case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.EINVAL):
			return fmt.Errorf("%s the bit rate of %s: %v: a virtual (vcan) interface has no bit rate; leave --bitrate out", step, iface, err)
		}
		return fmt.Errorf("%s the bit rate of %s: %v", step, iface, err)
	}
	if err := d.SetDown(); err != nil {
		return explain("setting", err)
	}
	if err := d.SetBitrate(bitsPerSecond); err != nil {
		_ = d.SetUp() // leave the interface as it was found
		return explain("setting", err)
	}
	if err := d.SetUp(); err != nil {
		return explain("after setting", err)
	}
	return nil
}
