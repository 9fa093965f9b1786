package bench

import (
	"fmt"
	"math"
	"slices"
)

// fanoutPanel is one panel of the T5 plot: a value of each system by
// HTTP version, and the target of each version (0: none).
type fanoutPanel struct {
	title  string
	value  func(Fanout) float64
	format string
	target func(proto string) float64
}

// fanoutPlot draws T5: for each HTTP version, a bar per system in three
// panels: memory per subscriber (with ssegw's target), the fan-out
// process's CPU per delivered event, and the p99 send → receive latency.
func (r *Report) fanoutPlot() []byte {
	panels := []fanoutPanel{
		{"memory per subscriber, KiB RSS", func(f Fanout) float64 { return f.RSSPerSubscriber / 1024 }, "%.1f", fanoutMemoryTarget},
		{"CPU per delivered event, µs", func(f Fanout) float64 { return f.CPUPerEvent }, "%.1f", nil},
		{"p99 send → receive, ms", func(f Fanout) float64 { return f.P99 }, "%.0f", nil},
	}
	const panelW, h = 300, 380
	const left, gap, right, top, bottom = 60.0, 60.0, 200.0, 56.0, 50.0
	w := int(left + float64(len(panels))*panelW + float64(len(panels)-1)*gap + right)
	ph := h - top - bottom
	var protos []string
	for _, f := range r.T5 {
		if !slices.Contains(protos, f.Protocol) {
			protos = append(protos, f.Protocol)
		}
	}
	ids := present(func(id string) bool {
		return slices.ContainsFunc(r.T5, func(f Fanout) bool { return f.System == id })
	})

	s := newSVG(w, h)
	s.text(float64(w)/2-right/2, 22, "middle", `font-size="14" font-weight="bold"`,
		fmt.Sprintf("T5 fan-out: %d subscribers of one feed at %g events/s", r.Config.T5Subscribers, r.Config.T5Rate))
	for pi, p := range panels {
		x0 := left + float64(pi)*(panelW+gap)
		maxV := 0.0
		for _, f := range r.T5 {
			maxV = max(maxV, p.value(f))
		}
		for _, proto := range protos {
			if p.target != nil {
				maxV = max(maxV, p.target(proto))
			}
		}
		if maxV <= 0 {
			maxV = 1
		}
		step := niceStep(maxV*1.1, 5)
		top1 := math.Ceil(maxV*1.1/step) * step
		y := func(v float64) float64 { return top + ph - max(v, 0)/top1*ph }
		s.text(x0+panelW/2, top-14, "middle", `font-weight="bold"`, p.title)
		for v := 0.0; v <= top1+step/2; v += step {
			s.line(x0, y(v), x0+panelW, y(v), `stroke="#ddd"`)
			s.text(x0-6, y(v)+4, "end", "", fmt.Sprintf("%g", v))
		}
		groupW := panelW / float64(len(protos))
		barW := groupW * 0.7 / float64(max(len(ids), 1))
		for gi, proto := range protos {
			gx := x0 + float64(gi)*groupW + groupW*0.15
			for bi, id := range ids {
				f := find(r.T5, func(f Fanout) bool { return f.System == id && f.Protocol == proto })
				if f.System == "" {
					continue
				}
				v := p.value(f)
				x := gx + float64(bi)*barW
				s.rect(x+1, y(v), barW-2, y(0)-y(v), systemColors[id])
				s.text(x+barW/2, y(v)-4, "middle", `font-size="10"`, fmt.Sprintf(p.format, v))
			}
			s.text(x0+float64(gi)*groupW+groupW/2, top+ph+18, "middle", "", map[string]string{"h1": "HTTP/1.1", "h2": "HTTP/2"}[proto])
			if p.target != nil {
				t := p.target(proto)
				s.line(x0+float64(gi)*groupW, y(t), x0+float64(gi+1)*groupW, y(t), `stroke="#c44e52" stroke-dasharray="6 4" stroke-width="1.5"`)
			}
		}
		s.line(x0, top+ph, x0+panelW, top+ph, `stroke="black"`)
		s.line(x0, top, x0, top+ph, `stroke="black"`)
	}
	lx := left + float64(len(panels))*panelW + float64(len(panels)-1)*gap + 20
	s.legend(lx, top+10, ids)
	s.text(lx, top+10+18*float64(len(ids))+14, "start", `font-size="10" fill="#c44e52"`, "dashed: ssegw's memory target")
	s.text(lx, top+10+18*float64(len(ids))+30, "start", `font-size="10" fill="#555"`, "Centrifugo's RSS is as it is (no GC):")
	s.text(lx, top+10+18*float64(len(ids))+44, "start", `font-size="10" fill="#555"`, "a difference below zero is drawn at 0")
	return s.done()
}

// fanoutMemoryTarget is ssegw's target of memory per subscriber over an
// HTTP version, in KiB.
func fanoutMemoryTarget(proto string) float64 {
	if proto == "h2" {
		return 12
	}
	return 24
}
