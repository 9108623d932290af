import 'reflect-metadata';
import { parseArgs } from 'node:util';

type Handler = (args: string[]) => Promise<number | void>;

/** Commands load their modules on demand: checking a receipt offline needs no database driver. */
const commands: Record<string, { summary: string; run: Handler }> = {
  'district:new': {
    summary: '--code C --name N [--level district|county|municipal] --departments "A,B,..."  write an onboarding migration',
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: { code: { type: 'string' }, name: { type: 'string' }, level: { type: 'string' }, departments: { type: 'string' } },
      });
      const { districtNew } = await import('./commands/district-new.js');
      const file = await districtNew({
        code: values.code ?? '',
        name: values.name ?? '',
        level: values.level,
        departments: values.departments ?? '',
      });
      console.log(`wrote ${file}; review it, then run: npm run migration:run`);
    },
  },
  seed: {
    summary: '[--files 44000] [--permissions 8000] [--seed N]  load the pilot data set (idempotent)',
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: { files: { type: 'string' }, permissions: { type: 'string' }, seed: { type: 'string' }, district: { type: 'string' } },
      });
      const { seed } = await import('./commands/seed.js');
      await seed(values);
    },
  },
  token: {
    summary: '--department CODE [--roles MEMBER,STEWARD,...] [--subject NAME] [--ttl 8h]  mint a bearer token',
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: { department: { type: 'string' }, roles: { type: 'string' }, subject: { type: 'string' }, ttl: { type: 'string' } },
      });
      const { mintToken } = await import('./commands/token.js');
      console.log(await mintToken(values));
    },
  },
  'audit:keygen': {
    summary: 'print a new Ed25519 key pair for signing checkpoints',
    run: async () => (await import('./commands/audit.js')).keygen(),
  },
  'audit:verify': {
    summary: '[--ledger L]  verify every ledger (or one) against its chain and signed checkpoints',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { ledger: { type: 'string' } } });
      return (await import('./commands/audit.js')).verify(values);
    },
  },
  'audit:checkpoint': {
    summary: '[--ledger L]  sign checkpoints of the ledgers that grew',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { ledger: { type: 'string' } } });
      await (await import('./commands/audit.js')).checkpoint(values);
    },
  },
  'audit:receipt': {
    summary: '--ledger L --seq N [--out FILE]  write the receipt of an entry',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { ledger: { type: 'string' }, seq: { type: 'string' }, out: { type: 'string' } } });
      await (await import('./commands/audit.js')).receipt(values);
    },
  },
  'audit:check-receipt': {
    summary: 'FILE --public-key KEY  verify a receipt offline, with no database',
    run: async (args) => {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'public-key': { type: 'string' } } });
      return (await import('./commands/audit.js')).checkReceipt(positionals[0], values);
    },
  },
  'audit:consistency': {
    summary: "FILE --url URL --public-key KEY [--token T]  does the service's log today extend a kept receipt or checkpoint? (exit 1: no)",
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { url: { type: 'string' }, token: { type: 'string' }, 'public-key': { type: 'string', multiple: true } },
      });
      return (await import('./commands/audit-consistency.js')).consistency(positionals[0], values);
    },
  },
  'audit:bundle': {
    summary: "--url URL [--token T] [--out FILE]  fetch every ledger's latest signed checkpoint and the platform's, to keep",
    run: async (args) => {
      const { values } = parseArgs({ args, options: { url: { type: 'string' }, token: { type: 'string' }, out: { type: 'string' } } });
      return (await import('./commands/audit-bundle.js')).bundle(values);
    },
  },
  'audit:witness': {
    summary:
      '--url URL --state DIR --public-key KEY [--token T] [--interval 60] [--once]  verify, co-sign and keep the bundle; exit 1 on any inconsistency',
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: {
          url: { type: 'string' },
          state: { type: 'string' },
          token: { type: 'string' },
          'public-key': { type: 'string', multiple: true },
          interval: { type: 'string' },
          once: { type: 'boolean' },
        },
      });
      return (await import('./commands/audit-witness.js')).witness(values);
    },
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(20)} ${c.summary}`);
  return `usage: npm run cli -- <command> [options]\n\ncommands:\n${lines.join('\n')}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(name && name !== '--help' ? `unknown command "${name}"\n\n${usage()}` : usage());
    return name && name !== '--help' ? 2 : 0;
  }
  try {
    return (await command.run(args)) ?? 0;
  } catch (error) {
    // One clear line, never a stack: these are the operator's mistakes, not bugs.
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
