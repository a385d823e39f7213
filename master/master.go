package master

import (
	"errors"
	"fmt"
	"time"

	"github.com/looplab/fsm"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

// Hardware is what the master drives and measures on the DC side: the plant in a simulation.
type Hardware interface {
	SetContactor(closed bool)
	SetPrecharge(on bool)
	// ContactorClosed is the auxiliary feedback contact.
	ContactorClosed() bool
	BatteryVolts() float64
	BusVolts() float64
	// ShuntAmps is positive while the bank is charged.
	ShuntAmps() float64
}

// Config is the master's configuration: its settings and the parameters that no public document
// gives a value for (limits.md "[?]"), each named so that a scenario can change it.
type Config struct {
	Firmware *firmware.Profile
	// SourceAddress is the NMEA 2000 address on VE.Can (protocol.md §1.1, S2 p.11: 0x50).
	SourceAddress uint8
	// Series is the number of batteries in series in each string (VE_REG_BATTERY_SERIES; the
	// slice has no auto-detection yet).
	Series int
	// ExpectedBatteries, when not zero, is the number of batteries the bank must have (#5).
	ExpectedBatteries int

	// RegistrationQuiet is how long no new battery may announce before registration closes.
	RegistrationQuiet time.Duration
	// RegistrationTimeout is how long the master waits for a first battery before #2.
	RegistrationTimeout time.Duration
	// FirstReportTimeout is how long a registered battery may take to send its first status.
	FirstReportTimeout time.Duration
	// PrechargeMax is the longest pre-charge: 30 s (changelog 1.11-03). PrechargeMaxBefore is
	// what firmware before v1.11 allowed, which cold systems could not meet ("Fixed cold system
	// pre-charge fault"): not published, an assumption.
	PrechargeMax, PrechargeMaxBefore time.Duration
	// PrechargeExtension is added once when an NTC pre-charge is still rising at PrechargeMax
	// (changelog 1.27-02: "+18 seconds"); PrechargeRisingVoltsPerSecond says what "rising" is
	// (an assumption).
	PrechargeExtension            time.Duration
	PrechargeRisingVoltsPerSecond float64
	// FuseCheckTime and FuseCheckFraction: a pre-charge whose bus has not reached this fraction
	// of the battery voltage after this time has a broken pre-charge fuse (changelog 1.36-06);
	// assumptions. The fraction is small, a bus that has not risen at all: a cold NTC is slow
	// (−15 °C and 0.25 F take 2 s to the first volt), and must not pass for a broken fuse.
	FuseCheckTime     time.Duration
	FuseCheckFraction float64
	// PrechargeDoneVolts is how close the bus must come to the battery voltage before the
	// contactor closes: an assumption, no source gives the criterion (limits.md §4.2).
	PrechargeDoneVolts float64
	// ContactorFeedbackTimeout is how long the feedback contact may take to follow a close
	// command before #26: an assumption.
	ContactorFeedbackTimeout time.Duration
	// HastyFeedbackTimeout is the feedback wait of the known issue of changelog 1.13-07 ("Main
	// contactor check might trigger “#26 Contactor failure occurred” error on some systems"),
	// whose source 1.15-01 fixed: lynxsim's reading is that the check did not wait long enough
	// for a slow auxiliary contact [I].
	HastyFeedbackTimeout time.Duration
	// BootloaderVersion is the VUP bootloader version a master from v1.14 reports (changelog
	// 1.14-10): not published, an assumption (v1.00).
	BootloaderVersion firmware.Version
	// ContactorCheckTime is how long the contactor check of v1.23 watches the feedback of the open
	// contactor before pre-charging (changelog 1.23-03, state 17 "Contactor check"): an assumption.
	ContactorCheckTime time.Duration

	// Memory keeps SOC, settings and history across power cycles (nil: nothing is kept);
	// MemoryPeriod is how often the master writes it while running, besides at stop, shutdown and
	// fail-safe. The real device's period is not published: an assumption.
	Memory       Memory
	MemoryPeriod time.Duration
	// MemoryRecord names the master's record in Memory: masters of a combined system that share a
	// store each keep their own (DefaultMemoryRecord for the first).
	MemoryRecord string

	// GeneralModelAmps is the supported current of the "general" model (0xA390), which names no
	// rating; OverloadFactor is how far above the supported current the overload alarm of
	// changelog 1.35-06/07 sits. Both assumptions.
	GeneralModelAmps float64
	OverloadFactor   float64

	// SystemVoltsWindowFraction: the measured system voltage may lie this far outside the window
	// of the strings' own voltages before the event of changelog 1.23-04; BatteryCurrentWarnC: a
	// battery's current above this multiple of its capacity is "too high" (1.23-04). Assumptions.
	SystemVoltsWindowFraction float64
	BatteryCurrentWarnC       float64

	// AlmostChargedSOCPercent sets flag bit 1 "almost charged": an assumption.
	AlmostChargedSOCPercent float64

	// DischargeWarningSOCPercent: the "Discharge not allowed warning" relay opens at this SOC
	// ("there is 5~10% state of charge left", limits.md §4.6, L3).
	DischargeWarningSOCPercent float64
	// Settings are the settings the master starts with (before its memory, if any).
	Settings Settings

	// AutoShutdownSOCPercent, AutoShutdownNoFlowAmps and AutoShutdownDelay: almost discharged
	// below this SOC (or with a cell at the warning level), with less than this current, for this
	// long: automatic shutdown (changelog 1.13-06). "Almost discharged" is 5-10 % SOC left in the
	// MG docs (limits.md §2.2, L3); the rest are assumptions.
	AutoShutdownSOCPercent float64
	AutoShutdownNoFlowAmps float64
	AutoShutdownDelay      time.Duration

	// LFPBalanceStartVolts: LFP cells balance while charging above this; BalanceDeviationVolts:
	// cells this far above a battery's lowest are bled; HEIdleBeforeBalance and
	// HEIdleBeforeBalanceFast: the HE idle time before balancing, before and from v1.36
	// (changelog 1.36-01 "Decreased idle time"). None is published: assumptions.
	LFPBalanceStartVolts                         float64
	BalanceDeviationVolts                        float64
	HEIdleBeforeBalance, HEIdleBeforeBalanceFast time.Duration

	// NMCChargeCellVolts and NMCDischargeCellVolts are the HE values: 4.20 V and 3.00 V, the
	// datasheet's 29.4 V and 21.0 V over 7 cells (limits.md §1.1, L6).
	NMCChargeCellVolts, NMCDischargeCellVolts float64
	// MaxChargeAmps and MaxDischargeAmps are the user's maximum currents (changelog 1.23-02;
	// 0: none).
	MaxChargeAmps, MaxDischargeAmps float64
	// DeratingBandCelsius is the band below a temperature limit over which the charge current
	// falls to zero (an assumption).
	DeratingBandCelsius float64
	// ChargeCellVolts and DischargeCellVolts set CVL and the discharge voltage per cell;
	// ChargeC and DischargeC set CCL and DCL as multiples of the bank capacity. None has a
	// public source for MG LFP batteries (limits.md §2.1, §4.9): values typical of LFP.
	ChargeCellVolts, DischargeCellVolts float64
	ChargeC, DischargeC                 float64
	// External is the protocol on the external CAN port (default VE.Can).
	External ExternalProtocol
	// ExternalMaxSystemVolts is the highest charge voltage the SMA and General protocols send
	// from v1.35 (changelog 1.35-05). No document gives it: 58.4 V, 16 LFP cells at 3.65 V, the top
	// of a 48 V LFP system, is an assumption.
	ExternalMaxSystemVolts float64
	// Identity is how the master presents itself on NMEA 2000; IdentityMasterLV needs v1.35
	// (changelog 1.35-02).
	Identity IdentityKind
	// Model is the hardware rating, which picks the product id (S2 p.17: 0xA390-0xA394).
	Model vecan.Model
	// Serial is the master's serial number (VE_REG_SERIAL_NUMBER, 126996, the NAME's unique
	// number). Bluetooth exists from serial 1738**** (changelog 1.23-09).
	Serial string
	// DeviceInstance is the NMEA 2000 device instance (S2 p.12: changeable and stored).
	DeviceInstance uint8
	// InstanceBase is the battery and DC instance of the pack; +1 and +2 carry the lowest and
	// highest cell values. Steps of 32 (S2 p.12).
	InstanceBase uint8
	// Epoch is the wall-clock time at virtual time 0, for the UTC times of the last errors
	// (0x2111-0x2114). The master never reads a clock; the driver gives it this.
	Epoch time.Time
	// RegisterChangeCheck is how often the VE.Can face compares its on-change registers with the
	// values it last broadcast (vecan.WithChangeCheck). S2 p.20 allows an on-change broadcast up
	// to 1 s late; the real device's interval is not published (an assumption). 0 checks every
	// step.
	RegisterChangeCheck time.Duration
	// HeartbeatPeriod sends PGN 126993 at this period (0: never). Whether the Lynx Ion BMS sends
	// it is not known (protocol.md §8 item 2); 60 s is NMEA 2000's interval (canboat 126993).
	HeartbeatPeriod time.Duration
	// VREGAckOnSuccess answers an accepted VREG write with VACK 0x0000 as well as the new value's
	// broadcast. velib's product code sends only the broadcast (S7 reg_prod_cmd.c); lynxsim's
	// issue tracker asks for the acknowledgement, so it is the default and can be switched off.
	VREGAckOnSuccess bool

	// LFPLimits and NMCLimits are the cell thresholds of the protection table, by chemistry.
	LFPLimits, NMCLimits CellLimits
	// LFPDischargedVolts replaces LFPLimits.StopDischargeVolts from v1.30: "Updated LFP battery
	// discharged voltage levels for improved battery protection. Adjustment has negligible
	// influence on available battery capacity" (changelog 1.30-01). Neither level is published
	// (limits.md §8); a little higher than the 2.80 V of L7, an assumption.
	LFPDischargedVolts float64

	// ShutdownVoltageOffset is what firmware before v1.17 added to the actual voltage for the
	// charge voltage set-point during shutdown; 1.17-01 dropped it ("actual voltage without
	// offset"). No source gives its size (limits.md §4.3 [?]): an assumption.
	ShutdownVoltageOffset float64

	// TTGFilter and TTGFilterFast are the time constants of the current average behind the time
	// to go, before and from v1.23 ("Updated Time to Go calculation, faster response", changelog
	// 1.23-08). No source gives either: assumptions, a slow and a fast average.
	TTGFilter, TTGFilterFast time.Duration
}

// DefaultConfig returns the configuration of a master on the given firmware profile.
func DefaultConfig(profile *firmware.Profile) Config {
	return Config{
		Firmware:                      profile,
		SourceAddress:                 0x50,
		Series:                        1,
		RegistrationQuiet:             2 * time.Second,
		RegistrationTimeout:           10 * time.Second,
		FirstReportTimeout:            5 * time.Second,
		PrechargeMax:                  30 * time.Second, // changelog 1.11-03
		PrechargeMaxBefore:            10 * time.Second,
		PrechargeExtension:            18 * time.Second, // changelog 1.27-02
		PrechargeRisingVoltsPerSecond: 0.05,
		FuseCheckTime:                 2 * time.Second,
		FuseCheckFraction:             0.01,
		PrechargeDoneVolts:            1.0,
		ContactorFeedbackTimeout:      500 * time.Millisecond,
		HastyFeedbackTimeout:          50 * time.Millisecond,
		BootloaderVersion:             firmware.MustParse("1.00"),
		ContactorCheckTime:            time.Second,
		ChargeCellVolts:               3.50,
		DischargeCellVolts:            2.90,
		ChargeC:                       0.5,
		DischargeC:                    1.0,
		NMCChargeCellVolts:            4.20, // limits.md §1.1, L6
		NMCDischargeCellVolts:         3.00, // limits.md §1.1, L6
		DeratingBandCelsius:           10,
		GeneralModelAmps:              1000,
		ExternalMaxSystemVolts:        58.4,
		OverloadFactor:                1.1,
		SystemVoltsWindowFraction:     0.05,
		BatteryCurrentWarnC:           1.2,
		DischargeWarningSOCPercent:    10,
		AlmostChargedSOCPercent:       90,
		LFPBalanceStartVolts:          3.40,
		BalanceDeviationVolts:         0.010,
		HEIdleBeforeBalance:           30 * time.Minute,
		HEIdleBeforeBalanceFast:       10 * time.Minute,
		AutoShutdownSOCPercent:        5,
		AutoShutdownNoFlowAmps:        1,
		AutoShutdownDelay:             10 * time.Minute,
		Model:                         vecan.ModelGeneral,
		Serial:                        "17380001",
		InstanceBase:                  0,
		HeartbeatPeriod:               60 * time.Second,
		RegisterChangeCheck:           100 * time.Millisecond,
		MemoryPeriod:                  time.Minute,
		MemoryRecord:                  DefaultMemoryRecord,
		ShutdownVoltageOffset:         0.5,
		LFPLimits:                     LFPLimits,
		LFPDischargedVolts:            2.85,
		NMCLimits:                     NMCLimits,
		TTGFilter:                     5 * time.Minute,
		TTGFilterFast:                 30 * time.Second,
		VREGAckOnSuccess:              true,
	}
}

// Master is the Lynx Ion BMS master node.
type Master struct {
	cfg     Config
	hw      Hardware
	batBus  canbus.Bus
	veCan   canbus.Bus
	fsm     *fsm.FSM
	state   string // fsm.Current(), kept by fire
	log     *events.Log
	rx      []can.Frame
	now     time.Duration
	lastNow time.Duration

	stateSince time.Duration
	initPhase  events.State
	err        events.ErrorCode

	reg registration
	ext extremes
	// extStale is set by everything ext is computed from: battery reports of cell extremes and
	// temperatures, and registration. The extremes are computed again only then.
	extStale bool
	// maxTerminal is maxTerminalCelsius's value, worked out again when terminalsStale (set by
	// terminal reports and registration).
	maxTerminal    float64
	terminalsStale bool
	// broadcastsLiveSettings is Has("1.34-06"), asked for every register the VE.Can face
	// broadcasts: the firmware does not change while the master runs.
	broadcastsLiveSettings bool
	// batteryInputs counts the steps in which anything the batteries report could have changed
	// (frames arrived, registration restarted): with protectSeen, it lets protect skip its
	// checks in a step where none of their inputs moved.
	batteryInputs uint64
	protectSeen   protectInputs
	diagResult    []bool // each protection row's last check
	// protectSettled is set when, after the last step's pass over the table, no row's debounce or
	// release timer was running: with the same inputs, the next pass would change nothing.
	protectSettled bool
	// versionFlags is every flag bit the firmware has (events.FlagsOf).
	versionFlags events.FlagSet
	socPct       float64
	socKnown     bool
	flags        events.FlagSet
	limits       Limits
	face         *veFace
	bmsOut       bmsOut
	counters     Counters
	lastShunt    float64
	history      history
	daily        daily
	update       update
	combined     combined
	ttgAvgAmps   float64
	ttgAvgKnown  bool
	// ttgGain is filterCurrent's 1 − e^(−dt/τ) for the step and time constant it was worked
	// out for: the step is nearly always the driver's fixed one, and the exponential was a
	// twentieth of the master's work.
	ttgGain             float64
	ttgGainStep, ttgTau time.Duration
	opening             opening
	diag                []diagState
	diagOn              []bool // the rows of the table this firmware has
	diagFlags           events.FlagSet
	rejectedSeen        uint64           // BatteryFramesRejected as the protection table last saw it
	deferredFail        events.ErrorCode // a fail-safe found while pre-charging, before v1.25
	lastAllowedStep     time.Duration
	atcCells            allowedByCells
	atdCells            allowedByCells
	blockCharge         bool
	blockDischarge      bool
	locked              bool // safety lock (#40): only Unlock ends it
	medianBuf           []float64

	strategyAtStart    uint8 // the strategy as read at the last start (before v1.23)
	volatileStrategy   int   // a strategy written over VE.Can before v1.26, not stored; -1: none
	recovery           recovery
	fanMode            batbus.FanMode
	fanSent            bool
	presses            int
	prevUserVolts      float64
	lastPress          time.Duration
	storedSOC          float64
	storedSOCValid     bool
	lastSaved          time.Duration
	memoryFailing      bool // the last write failed (warned about once)
	nextBalance        time.Duration
	idleSince          time.Duration // -1 while current flows
	commandTag         uint8
	almostEmptySince   time.Duration // -1: not almost empty
	prechargeExtended  bool
	prechargeLastVolts float64
	prechargeLastAt    time.Duration
	startedAt          time.Duration // when the master last started (power-up, start, restart)
	buttonStart        bool          // the last start came from the button
	chargerDetected    bool          // a charger was detected since the last start
	openCheckAt        time.Duration // when to check that an opened contactor's feedback says open; -1: none
	off                bool          // powered down at the end of the shutdown time: silent until started
	settings           Settings
	pastEvents         []StoredEvent // the event log of earlier power cycles, from the memory
	saves              uint64        // writes of the memory over the master's life
	veSettings         Settings      // the settings as VE.Can last set or saw them (before v1.34, changelog 1.34-06)
	relayClosed        bool
	linkOverride       struct {
		percent, amps float64
		until         time.Duration
	}
}

// Counters counts what the master received and refused.
type Counters struct {
	BatteryFramesIgnored  uint64 // frames of other protocols, or from unregistered batteries
	BatteryFramesRejected uint64 // malformed or impossible frames
	VECanFramesIgnored    uint64 // VE.Can frames addressed to nobody the master serves, or of PGNs it does not act on
	VECan11Bit            uint64 // 11-bit frames on VE.Can, ignored (changelog 1.16-01)
	VECanErrorFrames      uint64
	VECanFramesLost       uint64 // received but lost, as v1.36 does (changelog 1.37-01)
	SendErrors            uint64
	CommandRetries        uint64 // commands to a battery repeated for want of an acknowledgement
	CommandsRefused       uint64 // commands a battery answered with other than ok
	MemoryErrors          uint64 // failed writes of the non-volatile memory
}

// New returns a master in its first initializing phase.
func New(cfg Config, hw Hardware, batteryBus, veCan canbus.Bus) (*Master, error) {
	switch {
	case cfg.Firmware == nil:
		return nil, errors.New("master: no firmware profile")
	case cfg.Series < 1:
		return nil, errors.New("master: series must be at least 1")
	case hw == nil || batteryBus == nil || veCan == nil:
		return nil, errors.New("master: hardware and both buses are required")
	case cfg.External == ProtocolGeneral && !cfg.Firmware.Has("1.24-03"):
		return nil, fmt.Errorf("master: the General BMS protocol came with v1.24 (changelog 1.24-03), not %v", cfg.Firmware.Version())
	case cfg.InstanceBase%32 != 0:
		return nil, fmt.Errorf("master: battery instance %d: the instance moves in steps of 32 (0, 32 … 224, S2 p.12)", cfg.InstanceBase)
	case cfg.Identity == IdentityMasterLV && !cfg.Firmware.Has("1.35-02"):
		return nil, fmt.Errorf("master: the Master LV identity needs firmware v1.35 or later (changelog 1.35-02), not %v", cfg.Firmware.Version())
	}
	m := &Master{
		cfg:       cfg,
		hw:        hw,
		batBus:    batteryBus,
		veCan:     veCan,
		fsm:       newFSM(),
		state:     stateInitializing,
		log:       events.NewLog(256),
		initPhase: events.StateWaitStart,
	}
	m.settings = cfg.Settings
	if cfg.Firmware.Has("1.30-01") {
		m.cfg.LFPLimits.StopDischargeVolts = cfg.LFPDischargedVolts
	}
	m.linkOverride.percent, m.linkOverride.amps = -1, -1
	m.almostEmptySince = -1
	m.idleSince = -1
	m.extStale, m.terminalsStale = true, true
	m.broadcastsLiveSettings = m.cfg.Firmware.Has("1.34-06")
	m.versionFlags = events.FlagsOf(m.cfg.Firmware.Version())
	m.openCheckAt = -1
	m.volatileStrategy = -1
	m.combined.runningSince = -1
	m.load()
	m.veSettings = m.settings
	m.face = newVEFace(m)
	return m, nil
}

// Step runs the firmware for the time since the previous step.
func (m *Master) Step(now time.Duration) {
	dt := now - m.lastNow
	m.now, m.lastNow = now, now
	if m.off {
		// Powered down: nothing is heard or said until Start; only the charge detect watches.
		m.rx = m.batBus.Receive(m.rx[:0])
		m.rx = m.veCan.Receive(m.rx[:0])
		m.stepWake()
		if m.off {
			return
		}
	}
	m.receiveBatteryBus()
	m.sendBatteryHeartbeat()
	m.watchBatteries()
	// The cell extremes change only with battery reports and registration: compute them then,
	// once, for everything that reads them (flags, limits, registers, PGNs, history).
	if m.extStale {
		m.ext, m.extStale = m.extremes(), false
	}
	m.protect()
	m.rejectedSeen = m.counters.BatteryFramesRejected
	m.stepAllowedByCells()
	m.stepInterlock()
	m.stepOpening()
	m.stepOpenCheck()
	switch m.state {
	case stateInitializing:
		m.stepInitializing()
	case stateContactorCheck:
		m.stepContactorCheck()
	case statePreCharging:
		m.stepPreCharging()
	case stateGoingToRun:
		m.stepGoingToRun()
	case stateRunning:
		m.stepRunning(dt)
		m.stepRecovery()
		m.stepAutoShutdown()
		m.stepBalancing()
		m.stepFans()
		m.stepMemory()
	case stateShutdown:
		m.stepShutdown()
	}
	m.updateFlags()
	m.limits = m.computeLimits()
	m.stepButton()
	m.stepCombined()
	m.stepChargeDetectAwake()
	m.externalPrecharge()
	m.track(now)
	if m.cfg.External == ProtocolVECan {
		m.face.step(now)
	} else {
		m.stepBMSOut(now)
	}
}

func (m *Master) send(bus canbus.Bus, f can.Frame) {
	// A listen-only attachment (a master watching a live system) refuses every frame: by
	// design, not an error.
	if err := bus.Send(f); err != nil && !errors.Is(err, canbus.ErrListenOnly) {
		m.counters.SendErrors++
	}
}

func (m *Master) stepGoingToRun() {
	if m.hw.ContactorClosed() {
		m.hw.SetPrecharge(false)
		m.fire(evClosed)
		m.startRecovery()
		if code := m.deferredFail; code != events.ErrNone {
			m.deferredFail = events.ErrNone
			m.fail(code)
		}
		return
	}
	if m.now-m.stateSince >= m.closeFeedbackTimeout() {
		m.fail(events.ErrContactor)
	}
}

// Error returns the active error, events.ErrNone when there is none.
func (m *Master) Error() events.ErrorCode { return m.err }

// Log returns the master's event log.
func (m *Master) Log() *events.Log { return m.log }

// Counters returns the master's counters.
func (m *Master) Counters() Counters { return m.counters }

// closeFeedbackTimeout is how long the contactor's feedback may take to follow a close: the
// configured time, or with known issue 1.13-07 opted in on a version before its fix (1.15-01)
// the hasty one, so that a system with a slow auxiliary contact fails with a false #26.
func (m *Master) closeFeedbackTimeout() time.Duration {
	if m.cfg.Firmware.Reproduces("1.13-07") {
		return m.cfg.HastyFeedbackTimeout
	}
	return m.cfg.ContactorFeedbackTimeout
}
