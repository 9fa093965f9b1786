package gateway

import (
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
)

// TestSharingOverrideReplacesTheProtos checks that a share option given
// with WithSharing or WithMethodOptions replaces the proto's as a whole, so
// that it can set fields back to their zero values: bench.v1's Feed is
// public in its proto.
func TestSharingOverrideReplacesTheProtos(t *testing.T) {
	feed := benchv1.File_bench_v1_bench_proto.Services().Get(0).Methods().ByName("Feed")
	if feed == nil {
		t.Fatal("bench.v1.BenchService.Feed not found")
	}
	name := string(feed.FullName())
	override := &ssegwv1.Sharing{Linger: durationpb.New(0), QueueEvents: 10}
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"WithSharing", WithSharing(name, override)},
		{"WithMethodOptions", WithMethodOptions(name, &ssegwv1.StreamOptions{Share: override})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig()
			tc.opt(&c)
			sh, err := newSharing(c.streamOptions(feed).GetShare())
			if err != nil {
				t.Fatal(err)
			}
			if sh.public {
				t.Error("public: the proto's true kept, want the override's false")
			}
			if sh.cfg.Linger != 0 {
				t.Errorf("linger %v, want the override's 0", sh.cfg.Linger)
			}
			if sh.cfg.QueueEvents != 10 {
				t.Errorf("queue_events %d, want 10", sh.cfg.QueueEvents)
			}
		})
	}
	c := defaultConfig()
	sh, err := newSharing(c.streamOptions(feed).GetShare())
	if err != nil {
		t.Fatal(err)
	}
	if !sh.public || sh.cfg.Linger != DefaultShareLinger {
		t.Errorf("without an override: public %v, linger %v; want the proto's true and the default %v", sh.public, sh.cfg.Linger, DefaultShareLinger)
	}
}
