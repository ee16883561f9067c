// natsbench drives a NATS server with the nats.go client (Debian's
// golang-github-nats-io-go-nats-dev) in the shapes of `nats bench`, so the numbers hold for a
// client users actually run, beside ringnats-bench's raw protocol load.
//
//	natsbench -s nats://127.0.0.1:4222 -mode pub    -n 2000000 -size 16
//	natsbench -s nats://127.0.0.1:4222 -mode pubsub -n 2000000 -size 16 [-pending unlimited]
//	natsbench -s nats://127.0.0.1:4222 -mode reqrep -n 20000   -size 16
//
// pub: one connection publishes n messages as fast as nc.Publish goes, then FlushTimeout; the
// clock runs from the first Publish to the flush's PONG.
// pubsub: as pub, plus one subscriber on its own connection with an async handler that counts
// every message; the clock runs from the first Publish to the last message received (or to the
// moment the subscriber stops receiving). Loss and where it happened are reported: messages
// nats.go itself dropped past its pending limits (its "slow consumer" error, the subscriber's
// own buffer in the client), and a connection the server closed (its -ERR, a disconnect).
// -pending default keeps nats.go's defaults (512k messages / 64 MiB per subscription);
// -pending unlimited sets SetPendingLimits(-1, -1) as `nats bench` does for core subscribers.
// -work spins the handler for that long per message: a subscriber that is still reading, only
// slower than the publisher.
// reqrep: a responder connection answers every request; one requester sends n requests in turn
// (nc.Request) and the round trips give p50/p99/p99.9.
//
// Prints one JSON object on stdout. Exit status 1 on a setup error; 3 with -expect-all when a
// message was lost or the server closed a connection (tests/interop/go); else 0, also when
// messages were lost: a benchmark caller decides from "lost".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

type result struct {
	Mode        string  `json:"mode"`
	Msgs        int     `json:"msgs"`
	Size        int     `json:"size"`
	Pending     string  `json:"pending,omitempty"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	PubSeconds  float64 `json:"pub_seconds,omitempty"`
	PubPerSec   float64 `json:"pub_msgs_per_sec,omitempty"`
	Received    int64   `json:"received,omitempty"`
	Lost        int64   `json:"lost"`
	ClientDrop  int     `json:"client_dropped"`
	ClientSlow  int64   `json:"client_slow_consumer_errors"`
	MaxPending  int     `json:"sub_max_pending_msgs,omitempty"`
	SubClosedBy string  `json:"sub_closed_by_server,omitempty"`
	PubClosedBy string  `json:"pub_closed_by_server,omitempty"`
	P50us       float64 `json:"p50_us,omitempty"`
	P99us       float64 `json:"p99_us,omitempty"`
	P999us      float64 `json:"p999_us,omitempty"`
}

// connWatch records what the server did to a connection: the -ERR it sent before closing it,
// or the disconnect itself.
type connWatch struct {
	mu        sync.Mutex
	serverErr string
	slow      atomic.Int64
}

func (w *connWatch) set(s string) {
	w.mu.Lock()
	if w.serverErr == "" {
		w.serverErr = s
	}
	w.mu.Unlock()
}

func (w *connWatch) get() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.serverErr
}

func connect(url, name string, w *connWatch) (*nats.Conn, error) {
	return nats.Connect(url,
		nats.Name(name),
		// A benchmark connection that reconnects would hide a cut: report it instead.
		nats.NoReconnect(),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				w.slow.Add(1)
				return
			}
			w.set(err.Error())
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				w.set("disconnected: " + err.Error())
			} else if last := nc.LastError(); last != nil {
				w.set("disconnected: " + last.Error())
			}
		}),
	)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "natsbench: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	url := flag.String("s", nats.DefaultURL, "server URL")
	mode := flag.String("mode", "pubsub", "pub | pubsub | reqrep")
	n := flag.Int("n", 1000000, "messages (requests for reqrep)")
	size := flag.Int("size", 16, "payload bytes")
	subject := flag.String("subject", "natsbench", "subject")
	pending := flag.String("pending", "default", "subscriber pending limits: default | unlimited")
	idle := flag.Duration("idle", 5*time.Second, "pubsub: give up after this long without a message")
	expectAll := flag.Bool("expect-all", false, "exit 3 on any loss or server-side close")
	work := flag.Duration("work", 0, "pubsub: busy time the subscriber's handler spends per message")
	flag.Parse()

	payload := make([]byte, *size)
	res := result{Mode: *mode, Msgs: *n, Size: *size}
	var err error
	switch *mode {
	case "pub":
		err = runPub(*url, *subject, payload, *n, &res)
	case "pubsub":
		res.Pending = *pending
		err = runPubSub(*url, *subject, payload, *n, *pending, *idle, *work, &res)
	case "reqrep":
		err = runReqRep(*url, *subject, payload, *n, &res)
	default:
		fail("unknown -mode %q", *mode)
	}
	if err != nil {
		fail("%s: %v", *mode, err)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if *expectAll && (res.Lost != 0 || res.SubClosedBy != "" || res.PubClosedBy != "") {
		fmt.Fprintf(os.Stderr, "natsbench: %s: %d of %d messages lost (dropped by nats.go: %d), "+
			"subscriber closed: %q, publisher closed: %q\n", res.Mode, res.Lost, res.Msgs,
			res.ClientDrop, res.SubClosedBy, res.PubClosedBy)
		os.Exit(3)
	}
}

// publish sends n messages and waits for the server to have read them all.
func publish(nc *nats.Conn, subject string, payload []byte, n int) error {
	for i := 0; i < n; i++ {
		if err := nc.Publish(subject, payload); err != nil {
			return fmt.Errorf("publish %d: %w", i, err)
		}
	}
	return nc.FlushTimeout(60 * time.Second)
}

func runPub(url, subject string, payload []byte, n int, res *result) error {
	var w connWatch
	nc, err := connect(url, "natsbench-pub", &w)
	if err != nil {
		return err
	}
	defer nc.Close()
	start := time.Now()
	if err := publish(nc, subject, payload, n); err != nil {
		return err
	}
	res.Seconds = time.Since(start).Seconds()
	res.MsgsPerSec = float64(n) / res.Seconds
	res.PubClosedBy = w.get()
	return nil
}

func runPubSub(url, subject string, payload []byte, n int, pending string, idle, work time.Duration,
	res *result) error {
	var subWatch, pubWatch connWatch
	snc, err := connect(url, "natsbench-sub", &subWatch)
	if err != nil {
		return err
	}
	defer snc.Close()
	var received atomic.Int64
	var lastNs atomic.Int64
	done := make(chan struct{})
	sub, err := snc.Subscribe(subject, func(*nats.Msg) {
		if work > 0 {
			// A consumer that keeps reading, slower than the publisher.
			for t0 := time.Now(); time.Since(t0) < work; {
			}
		}
		got := received.Add(1)
		if got == int64(n) {
			lastNs.Store(time.Now().UnixNano())
			close(done)
		}
	})
	if err != nil {
		return err
	}
	switch pending {
	case "default":
	case "unlimited":
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -pending %q", pending)
	}
	// The SUB has reached the server before the first PUB.
	if err := snc.Flush(); err != nil {
		return err
	}

	pnc, err := connect(url, "natsbench-pub", &pubWatch)
	if err != nil {
		return err
	}
	defer pnc.Close()
	start := time.Now()
	pubErr := publish(pnc, subject, payload, n)
	res.PubSeconds = time.Since(start).Seconds()
	res.PubPerSec = float64(n) / res.PubSeconds

	// Wait for the last message, or until the subscriber has had nothing for `idle`.
	before := received.Load()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(idle):
			now := received.Load()
			if now == before {
				lastNs.Store(time.Now().Add(-idle).UnixNano())
				waiting = false
			}
			before = now
		}
	}
	got := received.Load()
	res.Received = got
	res.Lost = int64(n) - got
	res.Seconds = time.Unix(0, lastNs.Load()).Sub(start).Seconds()
	res.MsgsPerSec = float64(got) / res.Seconds
	if dropped, err := sub.Dropped(); err == nil {
		res.ClientDrop = dropped
	}
	if maxMsgs, _, err := sub.MaxPending(); err == nil {
		res.MaxPending = maxMsgs
	}
	res.ClientSlow = subWatch.slow.Load()
	res.SubClosedBy = subWatch.get()
	if snc.IsClosed() && res.SubClosedBy == "" {
		res.SubClosedBy = "closed"
	}
	res.PubClosedBy = pubWatch.get()
	if pubErr != nil && res.PubClosedBy == "" {
		res.PubClosedBy = pubErr.Error()
	}
	return nil
}

func runReqRep(url, subject string, payload []byte, n int, res *result) error {
	var rw, qw connWatch
	rnc, err := connect(url, "natsbench-responder", &rw)
	if err != nil {
		return err
	}
	defer rnc.Close()
	if _, err := rnc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond(payload) }); err != nil {
		return err
	}
	if err := rnc.Flush(); err != nil {
		return err
	}
	qnc, err := connect(url, "natsbench-requester", &qw)
	if err != nil {
		return err
	}
	defer qnc.Close()
	// The first request sets up nats.go's shared reply subscription: not measured.
	if _, err := qnc.Request(subject, payload, 5*time.Second); err != nil {
		return err
	}
	lat := make([]time.Duration, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := qnc.Request(subject, payload, 5*time.Second); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		lat[i] = time.Since(t0)
	}
	res.Seconds = time.Since(start).Seconds()
	res.MsgsPerSec = float64(n) / res.Seconds
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(n-1))].Nanoseconds()) / 1e3
	}
	res.P50us, res.P99us, res.P999us = at(0.50), at(0.99), at(0.999)
	return nil
}
