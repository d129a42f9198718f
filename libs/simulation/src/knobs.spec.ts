import { drawn, initialKnobs, MAX_LATENCY_MS, validateKnobs } from './knobs';

describe('validateKnobs', () => {
  it('takes latencyMs and the given rates, in range', () => {
    expect(validateKnobs({ latencyMs: 10, malformedRate: 1 }, ['failureRate', 'malformedRate'])).toEqual({
      knobs: { latencyMs: 10, malformedRate: 1 },
    });
  });

  it('names every invalid or unknown knob', () => {
    expect(
      validateKnobs({ latencyMs: MAX_LATENCY_MS + 1, failureRate: -1, malformedRate: 0 }, ['failureRate']),
    ).toEqual({
      invalid: [
        { name: 'latencyMs', reason: `must be a number in 0..${MAX_LATENCY_MS}` },
        { name: 'failureRate', reason: 'must be a number in 0..1' },
        { name: 'malformedRate', reason: 'unknown knob' },
      ],
    });
  });

  it('refuses a body that is not an object, listing the knobs it may hold', () => {
    expect(validateKnobs([1], ['failureRate', 'malformedRate'])).toEqual({
      invalid: [
        { name: 'body', reason: 'must be a JSON object { "latencyMs"?, "failureRate"?, "malformedRate"? }' },
      ],
    });
  });
});

describe('initialKnobs', () => {
  it('starts at 0 where nothing is given and refuses out-of-range values', () => {
    expect(initialKnobs({ failureRate: 0.5, latencyMs: undefined }, ['failureRate'])).toEqual({
      latencyMs: 0,
      failureRate: 0.5,
    });
    expect(() => initialKnobs({ failureRate: 2 }, ['failureRate'])).toThrow(
      'failureRate must be a number in 0..1',
    );
  });
});

describe('drawn', () => {
  it('draws nothing at rate 0 and compares one draw otherwise', () => {
    const random = jest.fn(() => 0.3);
    expect(drawn(0, random)).toBe(false);
    expect(random).not.toHaveBeenCalled();
    expect(drawn(0.5, random)).toBe(true);
    expect(drawn(0.2, random)).toBe(false);
    expect(random).toHaveBeenCalledTimes(2);
  });
});
