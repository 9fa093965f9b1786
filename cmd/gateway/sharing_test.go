package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/config"
)

func TestSharingFromConfig(t *testing.T) {
	zero, linger := 0, 0*time.Second
	for _, tc := range []struct {
		in   config.Share
		want *ssegwv1.Sharing
	}{
		{config.Share{}, &ssegwv1.Sharing{}},
		{
			config.Share{Public: true, ReplayEvents: &zero, ReplayAge: time.Minute, Linger: &linger, QueueEvents: 8, QueueBytes: 4096},
			&ssegwv1.Sharing{Public: true, ReplayEvents: proto.Uint32(0), ReplayAge: durationpb.New(time.Minute), Linger: durationpb.New(0), QueueEvents: 8, QueueBytes: 4096},
		},
	} {
		if got := sharing(&tc.in); !proto.Equal(got, tc.want) {
			t.Errorf("sharing(%+v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
