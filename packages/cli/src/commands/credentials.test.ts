import type { ClusterCredentials } from '@spark-rstudio-shiny/sdk';
import { describeCredentials } from './credentials.js';

const login = (certificateExpires: string): ClusterCredentials => ({
  ide: {
    user: 'analyst',
    password: 'p4ssw0rd-p4ssw0rd-xx',
    jupyter: 'https://127.0.0.1:8443',
    rstudio: null,
    rstudioInstalled: false,
  },
  frontDoor: { url: 'https://127.0.0.1:8443/', caCertificate: 'PEM', certificateExpires },
});
const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

describe('describeCredentials', () => {
  it("should give the door's certificate expiry, and ask for a renewal only within 30 days", () => {
    const far = inDays(400);
    expect(describeCredentials(login(far), '/ca.pem')).toContain(
      `  its certificate holds until ${far.slice(0, 10)}\n`,
    );
    expect(describeCredentials(login(inDays(10.5)), '/ca.pem')).toMatch(
      /holds until \S+: 10 day\(s\) left; renew it \(SECURITY\.md, "Rotating the secrets"\)/,
    );
    expect(describeCredentials(login(inDays(-1)), '/ca.pem')).toMatch(/: EXPIRED; renew it/);
  });
});
