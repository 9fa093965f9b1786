package gateway

import "testing"

func TestOnFreshStackPanicsTheCaller(t *testing.T) {
	defer func() {
		if p := recover(); p != "from f" {
			t.Errorf("recovered %v, want f's panic", p)
		}
	}()
	onFreshStack(func() { panic("from f") })
	t.Error("onFreshStack returned after f panicked")
}

func TestOnFreshStackWaitsForF(t *testing.T) {
	done := false
	onFreshStack(func() { done = true })
	if !done {
		t.Error("onFreshStack returned before f")
	}
}
