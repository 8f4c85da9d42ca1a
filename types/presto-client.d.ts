// Types for the parts of presto-client (no bundled types) that clicklake uses.
declare module 'presto-client' {
  export interface ClientOptions {
    host?: string;
    port?: number;
    user?: string;
    catalog?: string;
    schema?: string;
    source?: string;
    engine?: 'presto' | 'trino';
    /** Seconds; 0 or null for none. */
    timeout?: number | null;
    /** Milliseconds between polls of a running query. */
    checkInterval?: number;
  }
  export interface Column {
    name: string;
    type: string;
  }
  export interface ExecuteOptions {
    query: string;
    catalog?: string;
    schema?: string;
    session?: Record<string, string>;
    timeout?: number | null;
    columns?: (error: unknown, columns: Column[]) => void;
    data?: (error: unknown, data: unknown[][], columns: Column[], stats: unknown) => void;
    success?: (error: unknown, stats: unknown) => void;
    error?: (error: unknown) => void;
  }
  export class Client {
    constructor(options: ClientOptions);
    execute(options: ExecuteOptions): void;
  }
}
