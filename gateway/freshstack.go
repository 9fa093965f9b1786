package gateway

// onFreshStack runs f on a goroutine of its own and waits for it to
// return; a panic in f panics the caller.
//
// Go grows a goroutine's stack by doubling it, and gives memory back only
// at a GC and only while less than a quarter of it is in use. A handler
// that goes deep once, through net/http, gRPC and the request's
// conversion, and then waits for a long time, would hold the deepest
// stack it ever needed for all that time. Work of that kind runs here,
// on a stack that ends with it, so that the waiting goroutine keeps the
// stack its wait needs.
func onFreshStack(f func()) {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	if p := <-done; p != nil {
		panic(p)
	}
}
