package plant

import "math"

// openBus moves the disconnected bus over secs and returns the bank current (positive while
// charging): minus what the pre-charge paths drew from the bank.
//
// The bank is a Thévenin source vth behind rth (its open-circuit voltages are constant over a
// step), feeding the bus through the internal path (g1) and the external one (g2) in parallel:
// path k carries gₖ/(1 + rth·(g1+g2)) · (vth − V). For a fixed resistance the bus is exact over
// the whole step (evolveBus). The NTC's resistance depends on its temperature, so the step is cut
// into substeps over which the temperature moves by at most p.substepKelvin, and the resistance of
// each is taken at its estimated mid-point temperature; the heat and the fuse's I² are the exact
// integrals over the substep's exponentials.
func (p *Plant) openBus(b bank, in *inputs, secs float64) float64 {
	vth, rth := b.ref+b.sumI/b.sumG, 1/b.sumG
	var g2 float64
	if p.externalOn {
		g2 = 1 / p.cfg.ExternalPrechargeOhms
	}
	var drawn, internal float64 // charge out of the bank, and through the internal path, C
	e := &p.element
	for left, n := secs, 0; left > 0; n++ {
		conducts := p.prechargeOn && !p.fuse.blown && !e.tripped
		h := left
		var ohms float64
		if conducts {
			// The substep, from the power and the fuse's I² at its start.
			ohms = e.ohmsAt(e.celsius)
			amps := (vth - p.busVolts) / (1 + rth*(1/ohms+g2)) / ohms
			if watts := amps * amps * ohms; watts > 0 {
				h = min(h, p.substepKelvin*e.joulesPerK/watts)
			}
			if excess := amps*amps - p.fuse.ratedSquared; excess > 0 {
				h = min(h, p.fuse.i2t/fuseSubsteps/excess)
			}
			h = min(left, max(h, secs/maxSubsteps))
			if e.kind == PrechargeNTC {
				ohms = e.ohmsAt(e.ahead(amps*amps*ohms, h/2))
			}
		}
		if n >= 4*maxSubsteps || h >= left*(1-1e-12) {
			h = left // the last substep takes what rounding left
		}
		var g1 float64
		if conducts {
			g1 = 1 / ohms
		}
		den := 1 + rth*(g1+g2)
		iu, iu2 := p.evolveBus(h, (g1+g2)/den, vth, in)
		drawn += (g1 + g2) / den * iu
		if conducts {
			k1 := g1 / den // the internal path's share: its amps are k1·(vth − V)
			internal += k1 * iu
			e.heat(ohms*k1*k1*iu2/h, h)
			p.fuse.pass(k1*k1*iu2, h)
		} else {
			e.heat(0, h)
			p.fuse.rest(h)
		}
		left -= h
	}
	p.prechargeAmps = internal / secs
	return -drawn / secs
}

// evolveBus moves the bus voltage over h seconds, fed through conductance g from vth, and returns
// ∫(vth − V)dt and ∫(vth − V)²dt over them.
//
// C·dV/dt = g·(vth − V) − G_bus·V − load(V) + user(V) is linear in V on each side of the loads'
// minimum voltage and of the user charger's voltage: a = b·V∞, so V moves exponentially towards
// V∞ = a/b with time constant C/b. When V∞ lies beyond a threshold, V runs to the threshold in
// exactly τ·ln((V − V∞)/(threshold − V∞)), and the next segment starts there on the other branch.
// The user charger can hold the bus at its voltage: then V stays for the rest of h.
func (p *Plant) evolveBus(h, g, vth float64, in *inputs) (iu, iu2 float64) {
	v := p.busVolts
	gBus := p.busSiemens()
	for seg := 0; h > 0; seg++ {
		a, b := g*vth, g+gBus
		if in.load > 0 {
			switch {
			case v > in.loadMin:
				a -= in.load
			case v < in.loadMin:
				b += in.load / in.loadMin
			default:
				// At the threshold both branches draw the same current; the bus goes the way
				// the constant current sends it, and takes that side's branch.
				if a+userAt(in, v)-in.load-b*v >= 0 {
					a -= in.load
				} else {
					b += in.load / in.loadMin
				}
			}
		}
		if in.user > 0 {
			switch {
			case v < in.userV:
				a += in.user
			case v > in.userV:
			default:
				need := b*v - a // the current that holds the bus where it is
				if need >= in.user {
					a += in.user // not enough: the bus falls below, charged at full current
				} else if need > 0 {
					u := vth - v // it regulates: the bus stays
					iu += u * h
					iu2 += u * u * h
					p.busVolts = v
					return iu, iu2
				}
			}
		}
		vinf, tau := a/b, p.farads/b
		t, next := h, vinf
		if seg < maxSegments {
			if level, ok := crossing(v, vinf, in); ok {
				if te := tau * math.Log((v-vinf)/(level-vinf)); te < h {
					t, next = te, level
				}
			}
		}
		// V(s) = V∞ + B·e^(−s/τ), so vth − V = A − B·e^(−s/τ).
		A, B := vth-vinf, v-vinf
		e1, e2 := math.Expm1(-t/tau), math.Expm1(-2*t/tau)
		iu += A*t + B*tau*e1
		iu2 += A*A*t + 2*A*B*tau*e1 - B*B*tau/2*e2
		if t == h {
			next = vinf + B*(1+e1)
		}
		v = next
		h -= t
	}
	p.busVolts = v
	return iu, iu2
}

// userAt is the user charger's current at v below its voltage and 0 above; at it, 0 (the caller
// resolves that case).
func userAt(in *inputs, v float64) float64 {
	if in.user > 0 && v < in.userV {
		return in.user
	}
	return 0
}

// crossing is the nearest threshold strictly between v and vinf, where the bus changes branch.
func crossing(v, vinf float64, in *inputs) (level float64, ok bool) {
	consider := func(l float64) {
		if (l-v)*(vinf-l) > 0 && (!ok || math.Abs(l-v) < math.Abs(level-v)) {
			level, ok = l, true
		}
	}
	if in.load > 0 {
		consider(in.loadMin)
	}
	if in.user > 0 {
		consider(in.userV)
	}
	return level, ok
}
