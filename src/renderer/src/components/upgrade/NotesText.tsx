import type { ReactNode } from 'react';

/**
 * Markdown from a bundle (release notes, migration guide) shown as text: headings, list items and
 * paragraphs become plain elements holding the text as written. No HTML is ever interpreted, links
 * are not made clickable and images are not fetched: the bundle is hostile until proven otherwise.
 */
export function NotesText({ text, testId }: { text: string; testId?: string }) {
  const blocks: ReactNode[] = [];
  let list: string[] = [];
  let para: string[] = [];
  let fence: string[] | null = null;
  const flush = () => {
    if (list.length) blocks.push(<ul key={blocks.length}>{list.map((l, i) => <li key={i}>{l}</li>)}</ul>);
    if (para.length) blocks.push(<p key={blocks.length}>{para.join(' ')}</p>);
    list = [];
    para = [];
  };
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (fence) {
      if (/^\s*```/.test(raw)) {
        blocks.push(<pre key={blocks.length} className="mono command">{fence.join('\n')}</pre>);
        fence = null;
      } else fence.push(raw);
      continue;
    }
    const line = raw.trimEnd();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (/^\s*```/.test(line)) {
      flush();
      fence = [];
    } else if (heading) {
      flush();
      blocks.push(<div key={blocks.length} className={`notes-h notes-h${Math.min(heading[1]!.length, 3)}`}>{heading[2]}</div>);
    } else if (item) {
      if (para.length) flush();
      list.push(item[1]!);
    } else if (line.trim() === '') flush();
    else {
      if (list.length) flush();
      para.push(line.trim());
    }
  }
  if (fence) blocks.push(<pre key={blocks.length} className="mono command">{fence.join('\n')}</pre>);
  flush();
  return (
    <div className="notes-text" data-testid={testId}>
      {blocks}
    </div>
  );
}
