import { BlockList, isIP } from "node:net";

/** Why an address is internal, in the words an operator reads in a refusal. */
export type InternalKind =
  | "loopback"
  | "private"
  | "link-local"
  | "unique-local"
  | "unspecified"
  | "multicast"
  | "reserved";

function ranges(
  version: "ipv4" | "ipv6",
  subnets: ReadonlyArray<readonly [string, number]>,
): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, version);
  return list;
}

/**
 * The ranges an outbound request (a webhook, an identity provider) may not reach in production unless the operator lists
 * them: the host itself, the networks behind it and the cloud's metadata
 * service (169.254.169.254) are where a request forged by the service does harm.
 */
const IPV4: ReadonlyArray<readonly [InternalKind, BlockList]> = [
  ["unspecified", ranges("ipv4", [["0.0.0.0", 8]])], // "this network": 0.0.0.0 reaches the host
  ["loopback", ranges("ipv4", [["127.0.0.0", 8]])],
  // RFC 1918, and the carrier-grade NAT range (RFC 6598) that clouds use inside.
  [
    "private",
    ranges("ipv4", [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
      ["100.64.0.0", 10],
    ]),
  ],
  ["link-local", ranges("ipv4", [["169.254.0.0", 16]])],
  ["multicast", ranges("ipv4", [["224.0.0.0", 4]])],
  ["reserved", ranges("ipv4", [["240.0.0.0", 4]])], // 255.255.255.255 (broadcast) included
];

const IPV6: ReadonlyArray<readonly [InternalKind, BlockList]> = [
  ["unspecified", ranges("ipv6", [["::", 128]])],
  ["loopback", ranges("ipv6", [["::1", 128]])],
  ["link-local", ranges("ipv6", [["fe80::", 10]])],
  ["unique-local", ranges("ipv6", [["fc00::", 7]])],
  ["private", ranges("ipv6", [["fec0::", 10]])], // site-local, deprecated but routable inside
  ["multicast", ranges("ipv6", [["ff00::", 8]])],
  [
    "reserved",
    ranges("ipv6", [
      ["::", 96], // IPv4-compatible, deprecated
      ["::ffff:0:0:0", 96], // IPv4-translated (SIIT)
      ["64:ff9b:1::", 48], // local-use NAT64: where it leads is the network's own business
    ]),
  ],
];

/**
 * The kind of internal address this is, or null for a public one (or text
 * that is no IP address). An IPv6 address carrying an IPv4 one (mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the
 * IPv4 address it reaches.
 */
export function internalKindOf(address: string): InternalKind | null {
  const bare = withoutZone(address);
  const version = isIP(bare);
  if (version === 4) return kindIn(IPV4, bare, "ipv4");
  if (version !== 6) return null;
  const carried = carriedIpv4(bare);
  if (carried !== null) return kindIn(IPV4, carried, "ipv4");
  return kindIn(IPV6, bare, "ipv6");
}

function kindIn(
  table: ReadonlyArray<readonly [InternalKind, BlockList]>,
  address: string,
  version: "ipv4" | "ipv6",
): InternalKind | null {
  for (const [kind, list] of table) if (list.check(address, version)) return kind;
  return null;
}

/** The IPv4 address an IPv6 one carries and reaches, or null. */
export function carriedIpv4(address: string): string | null {
  const words = ipv6Words(address);
  if (!words) return null;
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  const dotted = (high: number, low: number) =>
    [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  const [w0, w1, , , , w5, w6 = 0, w7 = 0] = words;
  if (zeros(0, 5) && w5 === 0xffff) return dotted(w6, w7); // ::ffff:a.b.c.d
  if (w0 === 0x64 && w1 === 0xff9b && zeros(2, 6)) return dotted(w6, w7); // NAT64
  if (w0 === 0x2002) return dotted(words[1] ?? 0, words[2] ?? 0); // 6to4
  return null;
}

/** The eight 16-bit words of an IPv6 address (with "::" and a dotted tail), or null. */
function ipv6Words(address: string): number[] | null {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((w) => parseInt(w, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return null;
  const words = [...left, ...new Array<number>(missing).fill(0), ...right];
  return words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff)
    ? words
    : null;
}

function withoutZone(address: string): string {
  const percent = address.indexOf("%");
  return percent === -1 ? address : address.slice(0, percent);
}
