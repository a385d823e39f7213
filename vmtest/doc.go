// Package vmtest runs lynxsim on a real kernel CAN stack: it boots Debian's kernel under qemu with
// the can, can-raw, can-dev and vcan modules and can-utils in a small initramfs, and runs the
// interop tests of guest/tests.sh there (issue 7). The machines lynxsim is developed on have no
// SocketCAN of their own. Without qemu and the packages the test skips with the reason.
package vmtest
