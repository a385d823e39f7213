package firmware

import (
	"fmt"
	"time"
)

// Release is one published firmware version and the date the changelog gives for it.
type Release struct {
	Version Version
	Date    time.Time // 00:00 UTC on the changelog's day; the changelog gives no time or zone
}

// releases lists every version the changelog (S19, seeds/001_462c5f636ba8f77a.txt) has a
// "v01.NN - DD-MM-YYYY" header for, oldest first. The dates are day-month-year; each row cites
// the header line. The test TestReleasesMatchChangelog re-reads every header from a copy of the
// changelog in testdata/.
var releases = []Release{
	release(1, 7, 2017, time.July, 20),       // line 617 "v01.07 - 20-07-2017"
	release(1, 8, 2017, time.September, 18),  // line 594 "v01.08 - 18-09-2017"
	release(1, 9, 2018, time.January, 18),    // line 540 "v01.09 - 18-01-2018"
	release(1, 10, 2018, time.February, 23),  // line 524 "v01.10 - 23-02-2018"
	release(1, 11, 2018, time.July, 23),      // line 500 "v01.11 - 23-07-2018"
	release(1, 12, 2018, time.August, 28),    // line 476 "v01.12 - 28-08-2018"
	release(1, 13, 2018, time.September, 24), // line 447 "v01.13 - 24-09-2018"
	release(1, 14, 2018, time.November, 9),   // line 414 "v01.14 - 09-11-2018"
	release(1, 15, 2019, time.January, 17),   // line 394 "v01.15 - 17-01-2019"
	release(1, 16, 2019, time.April, 8),      // line 381 "v01.16 - 8-04-2019" (one-digit day)
	release(1, 17, 2019, time.May, 28),       // line 358 "v01.17 - 28-05-2019"
	release(1, 18, 2019, time.June, 12),      // line 348 "v01.18 - 12-06-2019"
	release(1, 19, 2019, time.August, 5),     // line 338 "v01.19 - 5-08-2019" (one-digit day)
	release(1, 20, 2019, time.September, 10), // line 326 "v01.20 - 10-09-2019"
	release(1, 21, 2019, time.November, 28),  // line 311 "v01.21 - 28-11-2019"
	release(1, 22, 2019, time.December, 30),  // line 304 "v01.22 - 30-12-2019"
	release(1, 23, 2020, time.June, 23),      // line 270 "v01.23 - 23-06-2020"
	release(1, 24, 2020, time.September, 14), // line 258 "v01.24 - 14-09-2020"
	release(1, 25, 2021, time.March, 16),     // line 225 "v01.25 - 16-03-2021"
	release(1, 26, 2021, time.August, 16),    // line 210 "v01.26 - 16-08-2021"
	release(1, 27, 2021, time.December, 7),   // line 198 "v01.27 - 07-12-2021"
	release(1, 28, 2021, time.December, 20),  // line 171 "v01.28 - 20-12-2021"
	release(1, 29, 2022, time.February, 8),   // line 164 "v01.29 - 08-02-2022"
	release(1, 30, 2022, time.April, 28),     // line 150 "v01.30 - 28-04-2022"
	release(1, 31, 2022, time.August, 22),    // line 143 "v01.31 - 22-08-2022"
	release(1, 32, 2023, time.January, 10),   // line 122 "v01.32 - 10-01-2023"
	release(1, 33, 2023, time.February, 28),  // line 114 "v01.33 - 28-02-2023"
	release(1, 34, 2023, time.April, 25),     // line 95 "v01.34 - 25-04-2023"
	release(1, 35, 2023, time.July, 13),      // line 75 "v01.35 - 13-07-2023"
	release(1, 36, 2024, time.February, 6),   // line 57 "v01.36 - 06-02-2024"
	release(1, 37, 2024, time.February, 20),  // line 50 "v01.37 - 20-02-2024"
	release(1, 38, 2024, time.September, 9),  // line 18 "v01.38 - 09-09-2024"
}

func release(major, minor uint8, year int, month time.Month, day int) Release {
	return Release{
		Version: Version{Major: major, Minor: minor},
		Date:    time.Date(year, month, day, 0, 0, 0, 0, time.UTC),
	}
}

// Releases returns every released version, oldest first, v1.07 to v1.38. The slice is a copy.
func Releases() []Release {
	return append([]Release(nil), releases...)
}

// Oldest is the first version in the changelog, v1.07.
func Oldest() Version { return releases[0].Version }

// Latest is the newest version in the changelog, v1.38.
func Latest() Version { return releases[len(releases)-1].Version }

// LookupRelease finds the release of v; ok is false when v was never released.
func LookupRelease(v Version) (Release, bool) {
	for _, r := range releases {
		if r.Version == v {
			return r, true
		}
	}
	return Release{}, false
}

// ParseReleased parses s like Parse and then requires a version the changelog lists.
func ParseReleased(s string) (Version, error) {
	v, err := Parse(s)
	if err != nil {
		return Version{}, err
	}
	if err := checkReleased(v); err != nil {
		return Version{}, err
	}
	return v, nil
}

func checkReleased(v Version) error {
	if _, ok := LookupRelease(v); !ok {
		return fmt.Errorf("firmware %v was never released: choose %v to %v (lynxsim firmware list)", v, Oldest(), Latest())
	}
	return nil
}
