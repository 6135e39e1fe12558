import { z } from 'zod';

/**
 * An image reference as Docker's reference grammar defines it: an optional registry (host, or
 * host:port) and path, a lower-case name of components joined by ".", "_", "__" or "-", an
 * optional tag and an optional sha256 digest, or an image ID (sha256:…). Nothing else: a
 * reference reaches the stack file and the docker CLI.
 */
export const imageReferenceSchema = z
  .string()
  .max(255, 'must be at most 255 characters')
  .regex(
    /^(?:sha256:[a-f0-9]{64}|(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?)$/,
    'must be an image reference like name:tag or registry:5000/name:tag',
  );
