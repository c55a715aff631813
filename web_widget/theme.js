/** Colour maths for the brand colour: pick the text colour that meets WCAG AA on it. */

const DARK_TEXT = '#111827';
const DARK_RGB = [17, 24, 39];
const WHITE_RGB = [255, 255, 255];

/** [r, g, b] from a computed colour ("rgb(1, 2, 3)", "rgba(1, 2, 3, 0.5)", "rgb(1 2 3)"). */
export function parseRgb(value) {
  const match = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(String(value).trim());
  return match ? match.slice(1, 4).map(Number) : null;
}

/** WCAG relative luminance of an sRGB colour. */
export function luminance([r, g, b]) {
  const [lr, lg, lb] = [r, g, b].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
}

/** WCAG contrast ratio between two colours, from 1 to 21. */
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** White or near-black, whichever contrasts more with the background. */
export function textColorOn(background) {
  return contrastRatio(WHITE_RGB, background) >= contrastRatio(DARK_RGB, background)
    ? '#ffffff'
    : DARK_TEXT;
}
