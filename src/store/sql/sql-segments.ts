// Where SQL text is code and where it is not: comments, string literals and quoted identifiers
// are passed over unchanged by both PostgreSQL translations (placeholders and DDL).

/** Splits `sql` into code and the comments / string literals / quoted identifiers between it. */
export function sqlSegments(sql: string): { code: boolean; text: string }[] {
  const out: { code: boolean; text: string }[] = [];
  let code = "";
  let i = 0;
  const flush = () => {
    if (code) out.push({ code: true, text: code });
    code = "";
  };
  while (i < sql.length) {
    const c = sql[i]!;
    let end = -1;
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const close = sql.indexOf(c, j);
        if (close === -1) {
          end = sql.length;
          break;
        }
        if (sql[close + 1] === c) {
          j = close + 2;
          continue;
        }
        end = close + 1;
        break;
      }
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      end = nl === -1 ? sql.length : nl;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      end = close === -1 ? sql.length : close + 2;
    }
    if (end === -1) {
      code += c;
      i += 1;
    } else {
      flush();
      out.push({ code: false, text: sql.slice(i, end) });
      i = end;
    }
  }
  flush();
  return out;
}
