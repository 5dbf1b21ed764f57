/**
 * Markdown to the safe lesson AST (src/labs/types.ts), at build time only. `marked`'s lexer does the parsing;
 * this maps its tokens onto the few node kinds a lesson needs. Raw HTML never becomes markup: block and inline
 * HTML become plain text, images become their alt text, and a link whose URL is not http(s) or relative
 * becomes its text. Problems an author should fix (unsafe URLs, unsupported constructs) are reported.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import type { LessonBlock, LessonInline } from './types.ts';

export interface MarkdownProblem {
  message: string;
}

/** http(s) absolute URLs, or relative ones (no scheme, not protocol-relative). */
export function isSafeHref(href: string): boolean {
  const h = href.trim();
  if (/^https?:\/\/[^\s]+$/i.test(h)) return true;
  if (h.startsWith('//') || /^[a-z][a-z0-9+.-]*:/i.test(h)) return false;
  return !/[\s\\]/.test(h) && h.length > 0;
}

export function parseBlocks(markdown: string, problems: MarkdownProblem[] = []): LessonBlock[] {
  return blocks(new Lexer({ gfm: true }).lex(markdown), problems);
}

export function parseInline(markdown: string, problems: MarkdownProblem[] = []): LessonInline[] {
  return inlines(new Lexer({ gfm: true }).inlineTokens(markdown), problems);
}

function blocks(tokens: Token[], problems: MarkdownProblem[]): LessonBlock[] {
  const out: LessonBlock[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'heading': {
        const h = t as Tokens.Heading;
        if (h.depth < 2 || h.depth > 4) problems.push({ message: `heading "${h.text}" has level ${h.depth}; use ## to #### (the title comes from the frontmatter)` });
        out.push({ type: 'heading', depth: Math.min(4, Math.max(2, h.depth)) as 2 | 3 | 4, children: inlines(h.tokens, problems) });
        break;
      }
      case 'paragraph':
        out.push({ type: 'paragraph', children: inlines((t as Tokens.Paragraph).tokens, problems) });
        break;
      case 'text': {
        const x = t as Tokens.Text;
        out.push({ type: 'paragraph', children: x.tokens ? inlines(x.tokens, problems) : [{ type: 'text', text: x.text }] });
        break;
      }
      case 'code': {
        const c = t as Tokens.Code;
        out.push({ type: 'code', lang: (c.lang ?? '').split(/\s/)[0] ?? '', text: c.text });
        break;
      }
      case 'blockquote':
        out.push({ type: 'blockquote', children: blocks((t as Tokens.Blockquote).tokens, problems) });
        break;
      case 'list': {
        const l = t as Tokens.List;
        const start = typeof l.start === 'number' ? l.start : 1;
        out.push({ type: 'list', ordered: l.ordered, start, items: l.items.map((item) => blocks(item.tokens, problems)) });
        break;
      }
      case 'hr':
        out.push({ type: 'rule' });
        break;
      case 'html':
        // Inert: shown as the text the author wrote, never as markup.
        out.push({ type: 'paragraph', children: [{ type: 'text', text: (t as Tokens.HTML).text.trim() }] });
        break;
      default:
        problems.push({ message: `unsupported Markdown (${t.type}); use headings, paragraphs, lists, code, quotes and links` });
        out.push({ type: 'paragraph', children: [{ type: 'text', text: t.raw.trim() }] });
    }
  }
  return out;
}

function inlines(tokens: Token[] | undefined, problems: MarkdownProblem[]): LessonInline[] {
  const out: LessonInline[] = [];
  const text = (s: string) => {
    const prev = out[out.length - 1];
    if (prev?.type === 'text') prev.text += s;
    else out.push({ type: 'text', text: s });
  };
  for (const t of tokens ?? []) {
    switch (t.type) {
      case 'text': {
        const x = t as Tokens.Text;
        if (x.tokens?.length) for (const n of inlines(x.tokens, problems)) n.type === 'text' ? text(n.text) : out.push(n);
        else text(decodeEntities(x.text));
        break;
      }
      case 'escape':
        text((t as Tokens.Escape).text);
        break;
      case 'codespan':
        out.push({ type: 'code', text: (t as Tokens.Codespan).text });
        break;
      case 'em':
        out.push({ type: 'em', children: inlines((t as Tokens.Em).tokens, problems) });
        break;
      case 'strong':
        out.push({ type: 'strong', children: inlines((t as Tokens.Strong).tokens, problems) });
        break;
      case 'del':
        for (const n of inlines((t as Tokens.Del).tokens, problems)) n.type === 'text' ? text(n.text) : out.push(n);
        break;
      case 'br':
        out.push({ type: 'break' });
        break;
      case 'link': {
        const l = t as Tokens.Link;
        const children = inlines(l.tokens, problems);
        if (isSafeHref(l.href)) out.push({ type: 'link', href: l.href.trim(), children });
        else {
          problems.push({ message: `link "${l.text}" has a URL that is neither http(s) nor relative: ${JSON.stringify(l.href)}` });
          for (const n of children) n.type === 'text' ? text(n.text) : out.push(n);
        }
        break;
      }
      case 'image':
        text((t as Tokens.Image).text);
        break;
      case 'html':
        text((t as Tokens.Tag).text);
        break;
      default:
        text(t.raw);
    }
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: '\u00a0' };

/** The lexer leaves entities as typed; the AST holds the characters they stand for (rendered as text). */
function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? _);
}
