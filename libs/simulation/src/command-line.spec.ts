import { decimal, integer, readBaseConfig } from './command-line';

const FROM_ENV = { port: '4100', host: '127.0.0.1', population: '10', seed: '1' };

describe('integer and decimal', () => {
  it('accept values in range and refuse the rest with the setting named', () => {
    expect(integer('port', '80', 0, 65535)).toBe(80);
    expect(decimal('RATE', '0.5', 0, 1)).toBe(0.5);
    expect(() => integer('port', '1.5', 0, 65535)).toThrow('port must be an integer in 0..65535, got "1.5"');
    expect(() => integer('port', ' ', 0, 65535)).toThrow(RangeError);
    expect(() => decimal('RATE', '2', 0, 1)).toThrow('RATE must be a number in 0..1, got "2"');
    expect(() => decimal('RATE', 'Infinity', 0, Infinity)).toThrow(RangeError);
  });
});

describe('readBaseConfig', () => {
  it('lets --flag value and --flag=value override the environment', () => {
    expect(
      readBaseConfig(FROM_ENV, ['--port', '0', '--host=::1', '--population=5', '--seed', '-3'], 100),
    ).toEqual({
      port: 0,
      host: '::1',
      population: 5,
      seed: -3,
    });
  });

  it('refuses unknown flags, missing values, an empty host and a population over the maximum', () => {
    expect(() => readBaseConfig(FROM_ENV, ['--verbose'], 100)).toThrow('unknown argument "--verbose"');
    expect(() => readBaseConfig(FROM_ENV, ['--port'], 100)).toThrow('--port needs a value');
    expect(() => readBaseConfig(FROM_ENV, ['--host='], 100)).toThrow('host must not be empty');
    expect(() => readBaseConfig(FROM_ENV, ['--population', '101'], 100)).toThrow(
      'population must be an integer in 0..100, got "101"',
    );
  });
});
