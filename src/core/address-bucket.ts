import { isIPv4, isIPv6 } from "node:net";

/**
 * The key under which per-address limits count a client. An IPv6 host
 * normally holds a whole /64 (and may spell one address several ways), so
 * counting exact IPv6 addresses would hand each client unlimited fresh
 * quotas: IPv6 addresses count by their /64, IPv4 ones (and IPv4 mapped into
 * IPv6) by the address. Zone ids (`%eth0`) are dropped. Anything else is
 * returned as it is (the HTTP layer only passes IP addresses).
 */
export function addressBucket(ip: string): string {
  const address = ip.split("%", 1)[0] ?? "";
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  const prefix = hextets(address)
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(":")}::/64`;
}

/** The eight groups of an IPv6 address, `::` expanded and an IPv4 tail turned into two. */
function hextets(address: string): string[] {
  let text = address;
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const before = head === "" ? [] : head.split(":");
  if (rest === undefined) return before;
  const after = rest === "" ? [] : rest.split(":");
  return [...before, ...Array<string>(8 - before.length - after.length).fill("0"), ...after];
}
