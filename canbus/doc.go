// Package canbus owns how frames move: the Bus interface every node talks through, over einride's
// can.Frame; its transports (an in-memory hub for simulated time, SocketCAN for can and vcan
// interfaces, einride's UDP multicast emulator for several processes without root); the
// can-utils candump log format; and the bit-time accounting behind bus-load figures.
//
// Error frames travel as can.Frame values whose ID carries ErrFlag, exactly as Linux's can_id
// carries CAN_ERR_FLAG; they are never sent, only received and logged.
//
// Wire formats of the protocols that run on these buses live in the sub-packages.
package canbus
