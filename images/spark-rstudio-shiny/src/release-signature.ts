// Apache's releases are signed by their release managers, whose public keys the project lists in
// its KEYS file. A checksum published next to the tarball only shows the tarball is what that
// mirror meant to serve; the signature, checked against KEYS fetched from another host, shows a
// Spark release manager made it. Verified here with OpenPGP.js (no gpg needed on the host).
import { readFile } from 'node:fs/promises';
import { createMessage, readKeys, readSignature, verify } from 'openpgp';
import { SrsError } from '@spark-rstudio-shiny/core';

/** Who signed a file, when the signature holds. */
export interface VerifiedSignature {
  /** The signing key's fingerprint (hex, upper case). */
  fingerprint: string;
  /** The signer's user ID as KEYS lists it. */
  signer: string;
}

/**
 * Checks a detached, armored signature (`.asc`) of `file` against the armored public keys of a
 * KEYS file. Throws SIGNATURE_INVALID when no key of KEYS made it or the file was changed.
 */
export async function verifyDetachedSignature(
  file: string,
  armoredSignature: string,
  armoredKeys: string,
): Promise<VerifiedSignature> {
  const invalid = (why: string, cause?: unknown): SrsError =>
    new SrsError({
      code: 'SIGNATURE_INVALID',
      message: `the signature of ${file.split('/').pop() ?? file} does not hold: ${why}`,
      hint: 'the file, its .asc or the KEYS file is not what the Spark project published: the file was deleted from the cache; if it repeats, use another mirror',
      ...(cause === undefined ? {} : { cause }),
    });
  let keys;
  let signature;
  try {
    keys = await readKeys({ armoredKeys });
    signature = await readSignature({ armoredSignature });
  } catch (error) {
    throw invalid(`the KEYS file or the .asc cannot be read (${(error as Error).message})`, error);
  }
  const message = await createMessage({ binary: await readFile(file) });
  const result = await verify({ message, signature, verificationKeys: keys, format: 'binary' });
  const [first] = result.signatures;
  if (first === undefined) throw invalid('the .asc holds no signature');
  try {
    await first.verified;
  } catch (error) {
    throw invalid((error as Error).message, error);
  }
  const key = keys.find((candidate) => candidate.getKeys(first.keyID).length > 0);
  if (key === undefined) throw invalid(`no key of KEYS has the signing key ${first.keyID.toHex()}`);
  const user = await key.getPrimaryUser().catch(() => undefined);
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    signer: user?.user.userID?.userID ?? first.keyID.toHex(),
  };
}
