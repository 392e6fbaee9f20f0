// Writes the province → city → district list the claim page's picker offers, from
// @vant/area-data (GB/T 2260 codes and names, MIT; `make regions` fetches it with npm pack).
// Names only: addresses store names, and the province names equal shop/core/regions.py's.
"use strict";
const path = process.argv[2];
const { areaList } = require(path + "/dist/index.cjs");
const { version } = require(path + "/package.json");
const byPrefix = (list, code, digits) =>
  Object.entries(list).filter(([c]) => c.slice(0, digits) === code.slice(0, digits));
const provinces = {};
for (const [code, province] of Object.entries(areaList.province_list)) {
  const cities = {};
  for (const [cityCode, city] of byPrefix(areaList.city_list, code, 2)) {
    cities[city] = byPrefix(areaList.county_list, cityCode, 4).map(([, name]) => name);
  }
  provinces[province] = cities;
}
process.stdout.write(
  JSON.stringify({ source: `@vant/area-data ${version} (MIT)`, provinces: provinces }) + "\n"
);
