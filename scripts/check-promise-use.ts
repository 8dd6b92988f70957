// `npm test` runs this after the build: it finds promises used as if they were their values, in
// the places the compiler and eslint let through. The store is asynchronous, and each of these
// was a real bug once: `portalByKey(...) !== undefined` (always true), a promise answered as
// JSON (`{}`), `assert.equal(promise, ...)` in a test (never equal, never awaited).
import ts from "typescript";

interface Finding {
  file: string;
  line: number;
  what: string;
  text: string;
}

const ROOT = process.cwd();
const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function loadProgram(): ts.Program {
  const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, "tsconfig.json");
  if (!configPath) throw new Error(`no tsconfig.json under ${ROOT}`);
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return ts.createProgram(parsed.fileNames, parsed.options);
}

function check(program: ts.Program): Finding[] {
  const checker = program.getTypeChecker();
  const isPromise = (node: ts.Node) =>
    !ts.isAwaitExpression(node) && checker.getTypeAtLocation(node).getProperty("then") !== undefined;
  // A promise, or maybe one (`Promise<T> | undefined`, as a Map of pending work hands out).
  const mayBePromise = (node: ts.Node) => {
    const type = checker.getTypeAtLocation(node);
    return (type.isUnion() ? type.types : [type]).some((member) => member.getProperty("then") !== undefined);
  };
  const isPromiseArray = (node: ts.Node) => {
    const type = checker.getTypeAtLocation(node);
    const element = checker.isArrayType(type)
      ? checker.getTypeArguments(type as ts.TypeReference)[0]
      : undefined;
    return element?.getProperty("then") !== undefined;
  };
  const acceptsAnything = (call: ts.CallLikeExpression, index: number) => {
    const signature = checker.getResolvedSignature(call);
    const parameters = signature?.parameters ?? [];
    const parameter = parameters[Math.min(index, parameters.length - 1)];
    if (!parameter) return false;
    const type = checker.getTypeOfSymbolAtLocation(parameter, call);
    return (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
  };

  const findings: Finding[] = [];
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !/\/(src|test|scripts)\//.test(file.fileName)) continue;
    if (file.fileName.includes("/node_modules/")) continue;
    const report = (node: ts.Node, what: string) => {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
      findings.push({
        file: file.fileName.slice(ROOT.length + 1),
        line: line + 1,
        what,
        text: node.getText(file).replace(/\s+/g, " ").slice(0, 100),
      });
    };
    const visit = (node: ts.Node): void => {
      // A promise compared with a value (comparing two promises is identity, and meant).
      if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
        // A promise compared with what cannot be one (undefined, a value) is always unequal.
        if (isPromise(node.left) && !mayBePromise(node.right))
          report(node.left, "a promise compared with a value");
        if (isPromise(node.right) && !mayBePromise(node.left))
          report(node.right, "a promise compared with a value");
      }
      if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
        if (isPromise(node.operand)) report(node.operand, "a promise negated");
      }
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const callee = node.expression.getText(file);
        const assertion = callee.startsWith("assert.") && !/rejects|doesNotReject/.test(callee);
        (node.arguments ?? []).forEach((argument, index) => {
          if (assertion && isPromise(argument)) report(argument, "a promise asserted on");
          else if ((isPromise(argument) || isPromiseArray(argument)) && acceptsAnything(node, index)) {
            report(argument, "a promise passed where any value goes (JSON, logs ...)");
          }
        });
      }
      if (
        ts.isPropertyAssignment(node) &&
        (isPromise(node.initializer) || isPromiseArray(node.initializer))
      ) {
        const contextual = checker.getContextualType(node.initializer);
        if (!contextual || (contextual.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) {
          report(node, "a promise as a property of an untyped object");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return findings;
}

const findings = check(loadProgram());
for (const { file, line, what, text } of findings) console.error(`${file}:${line}: ${what}: ${text}`);
if (findings.length > 0) {
  console.error(`${findings.length} promise(s) used as values; await them`);
  process.exit(1);
}
console.log("promise use: no promise used as a value");
