// Placeholder until feat/pg-harness lands its tested translation.
export function toPostgresDdl(sqliteDdl: string): string {
  return sqliteDdl;
}
