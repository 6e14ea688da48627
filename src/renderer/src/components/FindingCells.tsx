/** A finding's file, then what was found (its rule id above the detail): the same two table cells wherever findings are listed. */
export function FindingCells({ file, rule, detail }: { file: string; rule: string; detail: string }) {
  return (
    <>
      <td>
        <code className="mono">{file}</code>
      </td>
      <td>
        <div className="mono small">{rule}</div>
        {detail}
      </td>
    </>
  );
}
