import { runRuntimeConformance } from '../runtime.conformance.ts';
import { FakeRuntime } from './fake-runtime.ts';

// The fake interprets `sh -c 'echo X; exit N'` (see interpretShell), so the default commands work.
runRuntimeConformance('fake', () => new FakeRuntime());
