// Reads D-Bus introspection XML (a file in dbus-interfaces/ or a live Introspect reply) into
// member -> argument types, ignoring argument names (the library does not send them).
export interface Members {
  methods: Record<string, { in: string[]; out: string[] }>;
  signals: Record<string, string[]>;
}

const ATTR = (tag: string, name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

export function parseIntrospection(xml: string): Record<string, Members> {
  const out: Record<string, Members> = {};
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const im of text.matchAll(/<interface\s+name="([^"]+)"\s*>([\s\S]*?)<\/interface>/g)) {
    const members: Members = { methods: {}, signals: {} };
    for (const mm of im[2].matchAll(/<(method|signal)\s+name="([^"]+)"\s*(\/>|>([\s\S]*?)<\/\1>)/g)) {
      const args = [...(mm[4] ?? '').matchAll(/<arg\b[^>]*>/g)].map((x) => x[0]);
      if (mm[1] === 'method') {
        members.methods[mm[2]] = {
          in: args.filter((t) => (ATTR(t, 'direction') ?? 'in') === 'in').map((t) => ATTR(t, 'type')!),
          out: args.filter((t) => ATTR(t, 'direction') === 'out').map((t) => ATTR(t, 'type')!),
        };
      } else {
        members.signals[mm[2]] = args.map((t) => ATTR(t, 'type')!);
      }
    }
    out[im[1]] = members;
  }
  return out;
}

export function childNodes(xml: string): string[] {
  return [...xml.matchAll(/<node\s+name="([^"]+)"/g)].map((m) => m[1]);
}
