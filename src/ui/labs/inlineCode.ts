/** Objective texts may carry Markdown inline code in backticks: split them into text and code runs. */
export interface Run {
  code: boolean;
  text: string;
}

export function inlineRuns(text: string): Run[] {
  return text.split('`').map((part, i) => ({ code: i % 2 === 1, text: part })).filter((r) => r.text.length > 0);
}

/** The same text where markup cannot go (an `<option>`, an accessible name, the document title): backticks dropped. */
export function plainText(text: string): string {
  return inlineRuns(text).map((r) => r.text).join('');
}
