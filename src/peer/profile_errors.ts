/**
 * The error of a profile that cannot be used as it is (a file missing, damaged, or not the one
 * its other files were made with): it names the file and the recovery step, and nothing was
 * changed. The CLI prints it as it is.
 */

/** A profile that refuses to start; the message names the file and how to recover. */
export class ProfileError extends Error {
  override name = "ProfileError";
}

/** The recovery step for the profile in `dir`, as the error messages and the README give it. */
export function recoveryStep(dir: string): string {
  return `run \`tincan profile check --profile ${dir}\` to see what is wrong, then ` +
    `\`tincan profile repair --profile ${dir}\` to start afresh with the same identity ` +
    `(it says what is lost)`;
}

/** The ProfileError for `problem` (e.g. "peer.db is missing") in the profile in `dir`. */
export function profileError(dir: string, problem: string): ProfileError {
  return new ProfileError(
    `Cannot use the tincan profile in ${dir}: ${problem}. Nothing was changed; ${
      recoveryStep(dir)
    }`,
  );
}
