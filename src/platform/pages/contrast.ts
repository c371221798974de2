/**
 * WCAG 2.1 contrast (1.4.3 text, 1.4.11 non-text) for the brand colour:
 * pure functions over #rgb / #rrggbb colours.
 */

/** The pages' backgrounds (style.ts): the light scheme's and the dark scheme's. */
export const LIGHT_BACKGROUND = "#ffffff";
export const DARK_BACKGROUND = "#0b0b0b";
/** The text on a button in the brand colour. */
export const BUTTON_TEXT = "#ffffff";

/** WCAG AA: text 4.5:1, user-interface components against what is next to them 3:1. */
export const TEXT_RATIO = 4.5;
export const COMPONENT_RATIO = 3;

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

export function isHexColor(text: string): boolean {
  return HEX.test(text);
}

function channels(color: string): [number, number, number] {
  const hex = color.slice(1);
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex;
  return [0, 2, 4].map((at) => Number.parseInt(full.slice(at, at + 2), 16)) as [
    number,
    number,
    number,
  ];
}

/** WCAG's relative luminance of an sRGB colour. */
export function relativeLuminance(color: string): number {
  const [r, g, b] = channels(color).map((value) => {
    const c = value / 255;
    return c <= 0.040_45 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** (lighter + 0.05) / (darker + 0.05), from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [high, low] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [
    number,
    number,
  ];
  return (high + 0.05) / (low + 0.05);
}

/**
 * What is wrong with a brand colour, or nothing: it must be a hex colour; as
 * the buttons' background it must stand out 3:1 from the light and the dark
 * page background, and carry white text at 4.5:1.
 */
export function brandColorProblems(color: string): string[] {
  if (!isHexColor(color)) return [`must be a hex colour such as #2a5db0 (got "${color}")`];
  const problems: string[] = [];
  const checks: Array<[string, string, number]> = [
    ["the light page background", LIGHT_BACKGROUND, COMPONENT_RATIO],
    ["the dark page background", DARK_BACKGROUND, COMPONENT_RATIO],
    ["the buttons' white text", BUTTON_TEXT, TEXT_RATIO],
  ];
  for (const [what, other, needed] of checks) {
    const ratio = contrastRatio(color, other);
    if (ratio < needed)
      problems.push(
        `${color} has ${ratio.toFixed(2)}:1 against ${what} ${other}; WCAG AA needs ${needed}:1`,
      );
  }
  return problems;
}
