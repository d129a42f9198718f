import { memberQuota, retryAfterSeconds } from './member-quota';

const defaults = { requestsPerSecond: 5000, concurrentJobs: 4 };

describe('memberQuota', () => {
  it("takes the member's own limits and the defaults for the others", () => {
    expect(memberQuota({ quota: { requestsPerSecond: 5, concurrentJobs: 2 } }, defaults)).toEqual({
      requestsPerSecond: 5,
      concurrentJobs: 2,
    });
    expect(memberQuota({ quota: { concurrentJobs: 1 } }, defaults)).toEqual({
      requestsPerSecond: 5000,
      concurrentJobs: 1,
    });
    expect(memberQuota({}, defaults)).toEqual(defaults);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least 1', () => {
    expect([0, 1, 999, 1000, 1001, 2500].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2, 3]);
  });
});
