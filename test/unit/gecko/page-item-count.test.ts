import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { countPageText } from '../../../src/gecko/page-item-count.ts';

const dataItemCount = (text: string) => countPageText(text).dataItems;

import { readGeckoFixture } from '../../support/gecko-fixtures.ts';

describe('dataItemCount', () => {
  test.prop([fc.array(fc.jsonValue(), { maxLength: 40 }), fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean()], {
    numRuns: 300,
  })('is the length of the root object’s data list, compact or indented', (data, rest, pretty) => {
    // `data` last, so that it wins over a `data` key the generated neighbours might hold.
    const doc = { ...rest, data };
    expect(dataItemCount(JSON.stringify(doc, null, pretty ? 2 : undefined))).toBe(data.length);
  });

  it('counts the real fixtures as JSON.parse does', () => {
    expect(dataItemCount(readGeckoFixture('trades_solana_sol-pump.json'))).toBe(300);
    expect(dataItemCount(readGeckoFixture('new_pools_solana.json'))).toBe(20);
  });

  it.each<[string, string, number]>([
    ['an empty list', '{"data":[ ]}', 0],
    ['strings holding brackets, commas and escaped quotes', '{"data":["a,b]","\\"],[",{"x":"}"}]}', 3],
    ['an escaped key', '{"d\\u0061ta":[1,2,3]}', 3],
    ['a repeated key (the larger list)', '{"data":[1,2,3],"data":[]}', 3],
    ['a data key further down (not the page)', '{"meta":{"data":[1,2,3]},"data":[[1,2],[3]]}', 2],
    ['a data value that is no list', '{"data":"[1,2]","other":[1,2,3]}', 0],
    ['a root that is a list', '["data",[1,2,3]]', 0],
    ['text cut inside a string', '{"data":[1,2,"abc', 3],
  ])('%s', (_name, text, count) => {
    expect(dataItemCount(text)).toBe(count);
  });

  it('counts 2 M junk items in a 4 MiB body', () => {
    expect(dataItemCount(`{"data":[${new Array(2_000_000).fill('0').join(',')}]}`)).toBe(2_000_000);
  });

  it('counts about every value, wherever it is', () => {
    // 4 opening brackets and 4 commas (the one in "x,y" is text).
    expect(countPageText('{"data":[[0,1,2]],"meta":{"a":1,"b":"x,y"}}').values).toBe(8);
    // The root, two lists and a million objects; a comma after `[]` and between the objects.
    expect(countPageText(`{"data":[],"included":[${new Array(1_000_000).fill('{}').join(',')}]}`).values).toBe(
      3 + 1_000_000 + 1_000_000,
    );
  });
});
