/**
 * `kubeling completion bash|zsh`: a shell completion script for kubeling's own subcommands and their flags
 * (`kubeling kubectl ...` past its own flag is kubectl's business: `kubeling kubectl completion bash`).
 * The commands and flags are read from the usage text the dispatcher prints, so a flag added there is
 * completed without a second list to keep in step.
 *
 *   source <(kubeling completion bash)        # or: kubeling completion bash > /etc/bash_completion.d/kubeling
 *   source <(kubeling completion zsh)
 */

export interface CommandWords {
  /** Flags after the command (`--data-dir`, `-n`). */
  flags: string[];
  /** Words that are not flags: `image`'s verbs, `why`'s kinds. */
  words: string[];
}

/** Commands and their flags from USAGE: each `  kubeling CMD ...` line and the indented lines under it. */
export function commandsFromUsage(usage: string): Map<string, CommandWords> {
  const out = new Map<string, CommandWords>();
  let current: CommandWords | undefined;
  for (const line of usage.split('\n')) {
    const head = /^ {2}kubeling ([a-z][\w-]*)(.*)$/.exec(line);
    if (head) {
      current = out.get(head[1]!) ?? { flags: [], words: [] };
      out.set(head[1]!, current);
      collect(current, head[2]!);
      verbs(current, head[2]!);
    } else if (current && /^ {6}\S/.test(line)) {
      collect(current, line);
    } else if (!line.startsWith(' ')) {
      current = undefined;
    }
  }
  for (const c of out.values()) {
    c.flags = [...new Set(c.flags)].sort();
    c.words = [...new Set(c.words)];
  }
  return out;
}

function collect(into: CommandWords, text: string): void {
  // Only bracketed or leading flag tokens are flags; prose words in the description lines are ignored.
  for (const m of text.matchAll(/(?<![\w-])(--[a-z][\w-]*|-[a-z])(?=[\s=\]|.,]|$)/g)) into.flags.push(m[1]!);
}

/**
 * The words a command takes besides flags, from its usage line with the bracketed (optional) flags taken
 * out: a verb list (`import ARCHIVE | pull REF | ls`), or alternatives (`bash|zsh`, `pod/NAME|node/NAME`,
 * completed as `pod/` and `node/`).
 */
function verbs(into: CommandWords, text: string): void {
  const bare = text.replace(/\[[^\]]*\]/g, ' ');
  for (const m of bare.matchAll(/(?:^ |\| )([a-z]+)(?= [A-Z]| *\||\s*$)/g)) into.words.push(m[1]!);
  for (const m of bare.matchAll(/(?<=^|\s)([a-z]+(?:\/NAME)?(?:\|[a-z]+(?:\/NAME)?)+)(?=\s|$)/g)) {
    into.words.push(...m[1]!.split('|').map((w) => w.replace(/NAME$/, '')));
  }
}

function bash(commands: Map<string, CommandWords>): string {
  const cases = [...commands].map(([name, c]) => `    ${name}) flags="${c.flags.join(' ')}"; words="${c.words.join(' ')}" ;;`).join('\n');
  return `# bash completion for kubeling (kubeling completion bash)
_kubeling() {
  local cur=\${COMP_WORDS[COMP_CWORD]} flags="" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...commands.keys()].join(' ')} --help" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    # \`pod/\` goes on with a name, not a space.
    if [ "\${#COMPREPLY[@]}" -eq 1 ] && [[ \${COMPREPLY[0]} == */ ]]; then compopt -o nospace; fi
  fi
}
complete -o default -F _kubeling kubeling
`;
}

function zsh(commands: Map<string, CommandWords>): string {
  const cases = [...commands].map(([name, c]) => `    ${name}) flags=(${c.flags.join(' ')}); words=(${c.words.join(' ')}) ;;`).join('\n');
  return `#compdef kubeling
# zsh completion for kubeling (kubeling completion zsh)
_kubeling() {
  local -a flags words
  if (( CURRENT == 2 )); then
    compadd -- ${[...commands.keys()].join(' ')} --help
    return
  fi
  case $words[2] in
${cases.replaceAll('words=(', 'cmdwords=(')}
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $flags
  else
    compadd -S '' -- \${(M)cmdwords:#*/}
    compadd -- \${cmdwords:#*/}
    _files
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _kubeling "$@"; else compdef _kubeling kubeling; fi
`.replace('local -a flags words', 'local -a flags cmdwords');
}

export const COMPLETION_USAGE = 'kubeling completion bash|zsh';

export function runCompletion(argv: string[], usage: string): number {
  const [shell, ...rest] = argv;
  if (rest.length > 0 || (shell !== 'bash' && shell !== 'zsh')) {
    process.stderr.write(`kubeling completion: want bash or zsh (usage: ${COMPLETION_USAGE})\n`);
    return 2;
  }
  const commands = commandsFromUsage(usage);
  process.stdout.write(shell === 'bash' ? bash(commands) : zsh(commands));
  return 0;
}
