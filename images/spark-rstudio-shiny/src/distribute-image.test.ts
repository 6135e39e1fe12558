import { distributeImage } from './distribute-image.js';

describe('distributeImage input validation', () => {
  it.each([
    [{ engines: [] }, /engines: name at least one engine/],
    [
      { engines: ['http://node2:2375'] },
      /engines\.0: must be an engine address like ssh:\/\/user@node2/,
    ],
    [{ engines: ['ssh://node2; rm -rf /'] }, /engines\.0: must be an engine address/],
    [{ engines: ['ssh://me@node2'], image: 'Bad Image' }, /image: must be an image reference/],
  ])('should refuse %j before calling docker', async (options, message) => {
    await expect(distributeImage(options)).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(message),
    });
  });
});
