// Package fanout shares one producer, such as a backend call, among many
// subscribers that want the same stream of events.
//
// A [Hub] holds shared streams by key. The first subscriber of a key
// starts the stream's [Producer]; later ones join it. The producer
// publishes each event once, as immutable bytes that every subscriber
// writes as they are: nothing is encoded or copied per subscriber.
//
// A stream keeps its newest events in a bounded log, and each subscriber
// reads the log at a cursor of its own, from its own goroutine (the HTTP
// handler's): a subscriber costs a cursor, not a queue or a goroutine. A
// subscriber whose next event has left the log has fallen behind: it
// alone is cut ([ErrFellBehind]), and the producer and the other
// subscribers go on.
//
// The log is also the stream's replay window: a subscriber that joins
// after an event whose id is in the window receives the events after it,
// then the live ones, with nothing lost and nothing repeated. Events
// carry the ids the producer gives them; a producer without ids of its
// own numbers them with [Publisher.NextID], ids that name the stream's
// epoch, so that an id of another stream (an older epoch, another
// process) is never taken for one of this stream.
//
// The producer's end, normal or not, reaches every subscriber once it has
// read the events before it. When the last subscriber leaves, the
// producer is cancelled after a linger, unless a subscriber joins within
// it.
package fanout
