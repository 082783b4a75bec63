/**
 * The documented default credentials of every sandbox. Their own module so the CLI's subcommands
 * (HTTP clients of a running sandbox) name them without loading the whole sandbox at start-up.
 */

/** The documented default tenant-wide key of every sandbox. */
export const DEFAULT_SANDBOX_API_KEY = 'bluum_sandbox_key'
/** The documented default secret of every sandbox. */
export const DEFAULT_SANDBOX_API_SECRET = 'bluum_sandbox_secret'
