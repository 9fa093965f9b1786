// Code of a page that watches the demo's ticks, typed from the demo's
// OpenAPI document: demo.gen.ts is what
//
//   npx openapi-typescript openapi.json -o demo.gen.ts
//
// writes for it. The tests generate it from the running demo and check this
// file with tsc.
import type { components, paths } from "./demo.gen";

type Schemas = components["schemas"];
type Tick = Schemas["examples.demo.v1.Tick"];
type TickEvent = Schemas["examples.demo.v1.DemoService.Ticks.Event"];
type StreamError = Schemas["ssegw.StreamError"];
type TicksQuery = NonNullable<paths["/v1/symbols/{symbol}/ticks"]["get"]["parameters"]["query"]>;

// ticksURL builds the URL of a Ticks stream from typed query parameters.
export function ticksURL(symbol: string, query: TicksQuery): string {
  const params = new URLSearchParams();
  if (query.interval !== undefined) params.set("interval", query.interval);
  if (query.count !== undefined) params.set("count", String(query.count));
  return `/v1/symbols/${encodeURIComponent(symbol)}/ticks?${params}`;
}

// describe narrows an event by its name and reads its data as the type the
// document gives it. Every kind of event must be handled, or tsc fails.
export function describe(ev: TickEvent): string {
  switch (ev.event) {
    case "tick": {
      const tick = JSON.parse(ev.data) as Tick;
      // 64-bit integers are strings in JSON; BigInt keeps every digit.
      return `${tick.symbol} ${BigInt(tick.priceCents ?? "0")} at ${tick.time}`;
    }
    case "end":
      return "ended";
    case "error": {
      const st = JSON.parse(ev.data) as StreamError;
      return `failed: ${st.code} ${st.message}`;
    }
  }
}

// watch opens a Ticks stream and shows each event until the stream ends.
export function watch(symbol: string, show: (line: string) => void): EventSource {
  const es = new EventSource(ticksURL(symbol, { interval: "0.5s", count: 5 }));
  for (const name of ["tick", "end", "error"] as const) {
    es.addEventListener(name, (e) => {
      if (!(e instanceof MessageEvent)) return; // a connection failure
      show(describe({ event: name, data: String(e.data) }));
      if (name !== "tick") es.close();
    });
  }
  return es;
}

// The types have teeth.
// @ts-expect-error priceCents is an int64: a string in JSON, not a number.
export const wrongType: Tick = { priceCents: 5 };
// @ts-expect-error "tock" is not an event of the Ticks stream.
export const wrongEvent: TickEvent = { event: "tock", data: "{}" };
