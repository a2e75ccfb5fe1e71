/**
 * Renders an Adaptive Card as plain text for a terminal: text blocks, facts and numbered
 * actions, with the card's {{DATE()}}/{{TIME()}} functions shown as local time.
 */

interface Node {
  type?: unknown;
  text?: unknown;
  facts?: unknown;
  items?: unknown;
  columns?: unknown;
  actions?: unknown;
  body?: unknown;
  title?: unknown;
  verb?: unknown;
  isVisible?: unknown;
}

export interface TextAction {
  readonly title: string;
  readonly verb?: string;
}

export interface TextCard {
  readonly lines: string[];
  readonly actions: TextAction[];
}

function plain(text: string): string {
  return text
    .replace(/\{\{(DATE|TIME)\(([^,)]+)(?:,[^)]*)?\)\}\}/g, (_m, kind: string, iso: string) => {
      const at = new Date(iso.trim());
      if (Number.isNaN(at.getTime())) return iso;
      return kind === 'DATE' ? at.toLocaleDateString() : at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    })
    .replace(/\\([\\`*_{}[\]()#+\-.!>|~])/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1');
}

/** A card property as text: a string, number or boolean as it is; anything else (missing) as `fallback`. */
function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : fallback;
}

export function cardToText(card: unknown): TextCard {
  const lines: string[] = [];
  const actions: TextAction[] = [];
  const visit = (node: unknown, indent: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, indent);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const n = node as Node;
    if (n.isVisible === false) return;
    switch (n.type) {
      case 'TextBlock':
        if (typeof n.text === 'string' && n.text.trim()) for (const line of plain(n.text).split(/\r\n?|\n/)) lines.push(indent + line);
        return;
      case 'FactSet':
        for (const fact of Array.isArray(n.facts) ? (n.facts as { title?: unknown; value?: unknown }[]) : []) {
          lines.push(`${indent}${plain(textOf(fact.title, ''))}: ${plain(textOf(fact.value, ''))}`);
        }
        return;
      case 'Input.Toggle':
        lines.push(`${indent}[ ] ${plain(textOf(n.title, ''))}`);
        return;
      case 'Input.Text':
        lines.push(`${indent}(${plain(textOf((n as { label?: unknown }).label, 'text'))})`);
        return;
      case 'Action.Execute':
      case 'Action.Submit':
      case 'Action.OpenUrl':
        actions.push({ title: textOf(n.title, 'Button'), verb: typeof n.verb === 'string' ? n.verb : undefined });
        return;
      default:
        visit(n.body, indent);
        visit(n.items, indent);
        visit(n.columns, indent);
        visit(n.actions, indent);
    }
  };
  visit(card, '');
  return { lines, actions };
}
