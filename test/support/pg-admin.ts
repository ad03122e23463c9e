import pg from "pg";

/** The PostgreSQL server tests use (trust auth on loopback, as on CI). */
export const PG_SERVER = process.env.BOOKFLOW_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432";

export function urlFor(database: string): string {
  return `${PG_SERVER}/${database}`;
}

export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor("postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
