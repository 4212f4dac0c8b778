"""The product-file parsers against the real sample exports in ../shared/data and small inline files."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from shoppable.catalog.importers.records import (
    ImageRecord,
    ImportFileError,
    ImportItem,
    ProductRecord,
    SkippedRow,
    VariantRecord,
    VariationRecord,
)
from shoppable.catalog.importers.shopify_csv import parse_shopify_csv
from shoppable.catalog.importers.shopify_json import parse_shopify_json
from shoppable.catalog.importers.sniff import sniff_format
from shoppable.catalog.importers.woocommerce_csv import parse_woocommerce_csv

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

Parser = Callable[[IO[bytes], str], Iterator[ImportItem]]


def _data(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"sample file {relative} is not available (tests read it from {DATA})")
    return path


def _parse_file(parser: Parser, relative: str, currency: str = "USD") -> list[ImportItem]:
    with _data(relative).open("rb") as stream:
        return list(parser(stream, currency))


def _parse(parser: Parser, data: bytes, currency: str = "USD") -> list[ImportItem]:
    return list(parser(io.BytesIO(data), currency))


def _products(items: list[ImportItem]) -> list[ProductRecord]:
    return [item for item in items if isinstance(item, ProductRecord)]


def _by_handle(items: list[ImportItem]) -> dict[str, ProductRecord]:
    return {product.handle: product for product in _products(items)}


def _skipped(items: list[ImportItem]) -> list[SkippedRow]:
    return [item for item in items if isinstance(item, SkippedRow)]


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


# --- Shopify CSV: the sample files ---------------------------------------------------------------------


def test_shopify_apparel_csv() -> None:
    items = _parse_file(parse_shopify_csv, "shopify-csv/apparel.csv")
    products = _by_handle(items)
    assert len(items) == len(products) == 20
    assert _skipped(items) == []
    assert sum(len(p.variants) for p in products.values()) == 22
    assert list(products)[:3] == ["ocean-blue-shirt", "classic-varsity-top", "yellow-wool-jumper"]
    assert list(products)[-1] == "led-high-tops"
    assert {p.status for p in products.values()} == {"active"}

    shirt = products["ocean-blue-shirt"]
    assert (shirt.row, shirt.title, shirt.vendor, shirt.category) == (
        2,
        "Ocean Blue Shirt",
        "partners-demo",
        None,
    )
    assert shirt.tags == ("men",)
    assert shirt.options == ()
    assert shirt.variants == (
        VariantRecord(row=2, sku=None, options={}, price=5000, inventory_quantity=1, weight_grams=0),
    )
    assert shirt.images == (ImageRecord("https://burst.shopifycdn.com/photos/young-man-in-bright-fashion_925x.jpg"),)

    top = products["classic-varsity-top"]
    assert top.options == (("Size", ("Small", "Medium", "Large")),)
    assert [(v.row, v.options, v.price) for v in top.variants] == [
        (3, {"Size": "Small"}, 6000),
        (4, {"Size": "Medium"}, 6000),
        (5, {"Size": "Large"}, 6000),
    ]
    assert len(top.images) == 1
    # U+00A0 inside an HTML body is passed through untouched.
    assert "wide\xa0sleeves" in products["yellow-wool-jumper"].description_html
    assert products["led-high-tops"].variants[0].price == 8000


def test_shopify_home_and_garden_csv() -> None:
    items = _parse_file(parse_shopify_csv, "shopify-csv/home-and-garden.csv")
    products = _by_handle(items)
    assert len(items) == len(products) == 20
    assert sum(len(p.variants) for p in products.values()) == 21

    pot = products["clay-plant-pot"]
    assert pot.description_html == "<p>Classic blown clay pot for plants</p>"
    assert (pot.vendor, pot.category, pot.tags) == ("Company 123", "Outdoor", ("Pot", "Plants"))
    assert pot.options == (("Size", ("Regular", "Large")),)
    assert [(v.options["Size"], v.price, v.inventory_quantity) for v in pot.variants] == [
        ("Regular", 999, 1),
        ("Large", 1599, 3),
    ]
    assert [image.url for image in pot.images] == [
        "https://burst.shopifycdn.com/photos/single-sprout-in-a-pot_925x.jpg",
        "https://burst.shopifycdn.com/photos/pot-with-a-single-sprout_925x.jpg",
    ]
    copper = products["copper-light"].variants[0]
    assert (copper.price, copper.compare_at_price, copper.inventory_quantity) == (5999, 7500, 2)
    sofa = products["cream-sofa"].variants[0]
    assert (sofa.price, sofa.compare_at_price) == (50000, 75000)
    armchair = products["pink-armchair"]
    assert (armchair.variants[0].compare_at_price, armchair.variants[0].inventory_quantity) == (None, 0)
    assert len(armchair.images) == 1  # an image without Image Position still counts
    assert products["bedside-table"].tags == ("Wood", "Bedroom")


def test_shopify_packt_reexport_csv() -> None:
    items = _parse_file(parse_shopify_csv, "shopify-csv/packt_product_data.csv")
    products = _by_handle(items)
    assert len(items) == len(products) == 20
    assert sum(len(p.variants) for p in products.values()) == 21
    assert {p.status for p in products.values()} == {"active"}

    armchairs = products["black-armchairs"]
    assert armchairs.description_html.startswith("<h6><span>Description</span></h6>\n<p><span>Lorem")
    assert armchairs.description_html.count("\n") == 5
    assert armchairs.variants[0].sku is None  # a quoted empty SKU ("")
    # Rows count CSV records: black-armchairs' body spans 6 lines, yet round-table is record 4.
    assert (armchairs.row, products["round-table"].row) == (3, 4)
    lamp = products["floor-lamp"].variants[0]
    assert (lamp.price, lamp.compare_at_price, lamp.weight_grams) == (6999, 8500, 0)  # Variant Grams "0.0"
    assert products["floor-lamp"].images[0].url.startswith("https://cdn.shopify.com/s/files/1/0559/0089/7434/")
    gloves = products["gardening-gloves"]
    assert gloves.options == (("Color", ("Green", "Yellow")),)
    assert [(v.row, v.price) for v in gloves.variants] == [(21, 999), (22, 1599)]
    assert len(gloves.images) == 2
    assert products["wicker-bowl"].variants[0].price == 75000


def test_shopify_template_2019_csv() -> None:
    items = _parse_file(parse_shopify_csv, "shopify-csv/product_template_2019.csv")
    assert len(items) == 1
    (product,) = _products(items)
    assert (product.handle, product.title, product.category, product.status) == (
        "example-t-shirt",
        "Example T-Shirt",
        "Shirts",
        "active",
    )
    assert product.tags == ("mens t-shirt example",)
    # An option really named "Title" is kept: only "Title: Default Title" means "no options".
    lithograph = 'Lithograph - Height: 9" x Width: 12"'
    assert product.options == (("Title", (lithograph, "Small", "Medium")),)
    assert [
        (v.row, v.sku, v.options, v.price, v.compare_at_price, v.inventory_quantity, v.weight_grams)
        for v in product.variants
    ] == [
        (2, None, {"Title": lithograph}, 2500, None, None, 3629),
        (3, "example-shirt-s", {"Title": "Small"}, 1999, 2499, None, 200),
        (4, "example-shirt-m", {"Title": "Medium"}, 1999, 2499, None, 200),
    ]


def test_shopify_template_2023_csv() -> None:
    items = _parse_file(parse_shopify_csv, "shopify-csv/product_template_2023.csv")
    products = _by_handle(items)
    assert len(items) == len(products) == 3
    assert [p.row for p in products.values()] == [2, 14, 18]

    shirt = products["example-shirt"]
    assert shirt.status == "active"
    assert shirt.category == "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts"  # Product Category
    assert shirt.tags == ("Made to Order", "Shirt Tag")
    assert shirt.options == (("Color", ("Green", "Blue", "Gray", "Purple")), ("Size", ("S", "M", "L")))
    assert len(shirt.variants) == 12
    assert {v.price for v in shirt.variants} == {2500}
    assert {v.weight_grams for v in shirt.variants} == {145}
    assert shirt.variants[4].options == {"Color": "Blue", "Size": "M"}
    assert shirt.variants[4].sku == "SRT_COT_222"
    assert shirt.variants[4].image_url == "https://burst.shopifycdn.com/photos/cobalt-blue-t-shirt.jpg?width=1500"
    assert [image.alt for image in shirt.images] == [
        "A rack of T-Shirts",
        "T-Shirt color swatches",
        "Green T-Shirt",
        "Blue T-Shirt",
        "Gray T-Shirt",
        "Purple T-Shirt",
    ]

    pants = products["example-pants"]
    assert pants.status == "draft"
    assert pants.options == (("Size", ("28", "30", "40")),)
    assert [(v.price, v.compare_at_price, v.inventory_quantity, v.weight_grams) for v in pants.variants] == [
        (9500, 6495, 20, 227),  # 226.796185 g rounds to 227
        (9500, 6495, 15, 283),
        (9500, 6495, 10, 397),
    ]
    # The fourth image comes from an image-only row (row 17), which adds no variant.
    assert len(pants.images) == 4
    assert pants.images[3] == ImageRecord(
        "https://burst.shopifycdn.com/photos/female-fashion-model-poses-in-city-street.jpg?width=1500",
        "Large tapered stone wash jeans",
    )

    hat = products["example-hat"]
    assert (hat.status, hat.options, hat.tags) == ("archived", (), ("Hat Tag",))
    assert hat.variants == (
        VariantRecord(
            row=18,
            sku="HAT_GRY_275",
            options={},
            price=1799,
            compare_at_price=2299,
            inventory_quantity=50,
            weight_grams=72,
        ),
    )


# --- Shopify CSV: inline files ---------------------------------------------------------------------------

_HEADER = "Handle,Title,Body (HTML),Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Price"


def test_shopify_csv_bom_crlf_and_non_breaking_spaces() -> None:
    data = (
        b"\xef\xbb\xbf" + _HEADER.encode() + b"\r\n"
        b'\xc2\xa0tee\xc2\xa0, Tee\xc2\xa0Shirt ,<p>Hi</p>," b ,\xc2\xa0a,,B, ",TRUE,Size, S\xc2\xa0,'
        b" SKU-1 , 10.50\xc2\xa0\r\n"
        b"tee,,,,,,M,SKU-2,11\r\n"
    )
    (product,) = _parse(parse_shopify_csv, data)
    assert isinstance(product, ProductRecord)
    assert (product.handle, product.title, product.description_html) == ("tee", "Tee Shirt", "<p>Hi</p>")
    assert product.tags == ("b", "a")  # trimmed, empty dropped, "B" a case-insensitive duplicate of "b"
    assert product.options == (("Size", ("S", "M")),)
    assert [(v.sku, v.price) for v in product.variants] == [("SKU-1", 1050), ("SKU-2", 1100)]


def test_shopify_csv_bad_prices_skip_the_variant_row_only() -> None:
    data = _csv(
        _HEADER,
        "shirt,Shirt,,,TRUE,Size,S,,abc",
        "shirt,,,,,,M,,19.999",
        "shirt,,,,,,L,,-5",
        "shirt,,,,,,XL,,20",
        "shirt,,,,,,XXL,,",
    )
    items = _parse(parse_shopify_csv, data)
    assert _skipped(items) == [
        SkippedRow(2, "shirt", "Variant Price 'abc' is not a decimal amount"),
        SkippedRow(3, "shirt", "Variant Price '19.999' has more decimals than USD allows (2)"),
        SkippedRow(4, "shirt", "Variant Price '-5' is negative"),
        SkippedRow(6, "shirt", "Variant Price is empty"),
    ]
    (product,) = _products(items)
    assert product.options == (("Size", ("XL",)),)
    assert [(v.row, v.price) for v in product.variants] == [(5, 2000)]


def test_shopify_csv_product_without_valid_variants_is_skipped() -> None:
    data = _csv(_HEADER, "mug,Mug,,,TRUE,Title,Default Title,,12.5.0", "cup,Cup,,,TRUE,Title,Default Title,,4")
    items = _parse(parse_shopify_csv, data)
    assert items[:2] == [
        SkippedRow(2, "mug", "Variant Price '12.5.0' is not a decimal amount"),
        SkippedRow(2, "mug", "product has no valid variants (all 1 variant rows were skipped)"),
    ]
    assert [p.handle for p in _products(items)] == ["cup"]


def test_shopify_csv_currency_decimals_and_separators() -> None:
    data = _csv(_HEADER, 'a,A,,,,,,,"1,299"', 'b,B,,,,,,,"19,99"', "c,C,,,,,,,100.5")
    items = _parse(parse_shopify_csv, data, currency="JPY")
    assert [(p.handle, p.variants[0].price) for p in _products(items)] == [("a", 1299)]
    assert _skipped(items) == [
        SkippedRow(3, "b", "Variant Price '19,99' is not a decimal amount (use '.' for decimals)"),
        SkippedRow(3, "b", "product has no valid variants (all 1 variant rows were skipped)"),
        SkippedRow(4, "c", "Variant Price '100.5' has more decimals than JPY allows (0)"),
        SkippedRow(4, "c", "product has no valid variants (all 1 variant rows were skipped)"),
    ]


def test_shopify_csv_duplicate_option_combination() -> None:
    data = _csv(
        "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant Price",
        "tee,Tee,Color,Red,Size,S,10",
        "tee,,,Red,,M,10",
        "tee,,,Red,,S,12",
        "tee,,,Blue,,,10",
    )
    items = _parse(parse_shopify_csv, data)
    assert _skipped(items) == [
        SkippedRow(4, "tee", "duplicate option combination Color: Red / Size: S (same as row 2)"),
        SkippedRow(5, "tee", "Option2 Value is empty but the product has option 'Size'"),
    ]
    (product,) = _products(items)
    assert product.options == (("Color", ("Red",)), ("Size", ("S", "M")))
    assert [v.row for v in product.variants] == [2, 3]


def test_shopify_csv_second_default_variant_is_a_duplicate() -> None:
    data = _csv(_HEADER, "mug,Mug,,,,Title,Default Title,,5", "mug,,,,,Title,Default Title,,6")
    items = _parse(parse_shopify_csv, data)
    assert _skipped(items) == [
        SkippedRow(3, "mug", "duplicate variant: the product has no options and already has one (row 2)")
    ]
    assert _products(items)[0].variants[0].options == {}


def test_shopify_csv_rows_without_handle_or_title() -> None:
    data = _csv(
        _HEADER,
        "good,Good,,,,,,,1",
        ",Orphan,,,,,,,2",
        ",,,,,,,,",
        "lost,,,,,Size,S,,3",
        "lost,,,,,,M,,3",
        "late,Late,,,,,,,4",
    )
    items = _parse(parse_shopify_csv, data)
    assert [p.handle for p in _products(items)] == ["good", "late"]
    assert _skipped(items) == [
        SkippedRow(3, None, "row has no Handle"),
        SkippedRow(
            5,
            "lost",
            "rows 5-6 of 'lost' skipped: the product's first row has no Title"
            " (a product's rows must be together, the first one carrying the Title)",
        ),
    ]


def test_shopify_csv_status_published_weight_and_images() -> None:
    data = _csv(
        "Handle,Title,Published,Status,Variant Price,Variant Weight,Variant Weight Unit,"
        "Image Src,Image Position,Image Alt Text,Variant Image",
        "a,A,false,,1,2,lb,https://x/2.jpg,2,two,https://x/v.jpg",
        "a,,,,,,,https://x/1.jpg,1,one,",
        "a,,,,,,,https://x/2.jpg,,again,",
        "b,B,TRUE,Draft,1,0.5,,,,,",
        "c,C,TRUE,sold,1,,,,,,",
    )
    items = _parse(parse_shopify_csv, data)
    a, b = _products(items)
    assert a.status == "draft"  # no Status value: Published false
    assert a.variants[0].weight_grams == 907  # 2 lb
    assert a.images == (
        ImageRecord("https://x/1.jpg", "one"),
        ImageRecord("https://x/2.jpg", "two"),
        ImageRecord("https://x/v.jpg"),  # a variant image is a product image too
    )
    assert a.variants[0].image_url == "https://x/v.jpg"
    assert (b.status, b.variants[0].weight_grams) == ("draft", 500)  # a unit-less Variant Weight is kg
    assert _skipped(items) == [SkippedRow(6, "c", "Status 'sold' is not active, draft or archived")]


def test_shopify_csv_2024_header_layout() -> None:
    data = _csv(
        "Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,"
        "Option1 name,Option1 value,Price,Compare-at price,Inventory quantity,Weight value (grams),"
        "Product image URL,Image position,Image alt text,Variant image URL",
        "Mug,mug,<p>Mug</p>,Acme,,Kitchen,,TRUE,Active,M-1,Size,Small,8.00,10.00,5,350.4,https://x/m.jpg,1,,",
        ",mug,,,,,,,,M-2,,Large,9.00,0,,,,,,",
    )
    (mug,) = _parse(parse_shopify_csv, data)
    assert isinstance(mug, ProductRecord)
    assert (mug.handle, mug.vendor, mug.category, mug.status) == ("mug", "Acme", "Kitchen", "active")
    assert [(v.sku, v.price, v.compare_at_price, v.inventory_quantity, v.weight_grams) for v in mug.variants] == [
        ("M-1", 800, 1000, 5, 350),
        ("M-2", 900, None, None, None),  # a compare-at price of 0 means none
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (b"Handle,Name\r\nx,y\r\n", "it has no Title, Variant Price columns"),
        (b"Title,Variant Price\r\n", "it has no Handle column"),
        (b'{"products": []}', "it has no Handle, Title, Variant Price columns"),
        (b"Handle;Title;Variant Price\r\n", "uses ';' or tabs between columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
        (b"\xff\xfeH\x00a\x00n\x00d\x00l\x00e\x00", "not UTF-8 text"),  # UTF-16
        (b"Handle,Title,Variant Price\r\na,A\x00,1\r\n", r"not CSV text \(row 2 holds a NUL byte\)"),
    ],
)
def test_shopify_csv_rejects_files_it_cannot_read(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        _parse(parse_shopify_csv, data)


def test_shopify_csv_non_utf8_bytes_after_good_rows() -> None:
    data = _csv(_HEADER, "a,A,,,,,,,1", "b,B,,,,,,,2") + "c,Caf\u00e9,,,,,,,3\r\n".encode("cp1252")
    items = parse_shopify_csv(io.BytesIO(data), "USD")
    assert isinstance(next(items), ProductRecord)
    with pytest.raises(ImportFileError, match=r"not UTF-8 text \(row 4 has other bytes\)"):
        list(items)


def test_shopify_csv_leaves_the_stream_open() -> None:
    stream = io.BytesIO(_csv(_HEADER, "a,A,,,,,,,1"))
    assert len(list(parse_shopify_csv(stream, "USD"))) == 1
    assert not stream.closed


class _CountingStream(io.RawIOBase):
    """A byte stream generated on demand that counts how much has been read from it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.bytes_read += size
        return size


def _big_shopify_csv(products: int, sizes: tuple[str, ...]) -> Iterator[bytes]:
    yield (_HEADER + "\r\n").encode()
    body = "<p>" + "Soft cotton, long sleeves. " * 8 + "</p>"
    for number in range(products):
        for index, size in enumerate(sizes):
            title = f"Shirt {number}" if index == 0 else ""
            text = body if index == 0 else ""
            yield f'shirt-{number},{title},"{text}",,TRUE,Size,{size},SKU-{number}-{size},19.99\r\n'.encode()


def test_shopify_csv_streams_a_large_file_lazily() -> None:
    raw = _CountingStream(_big_shopify_csv(5_000, ("S", "M", "L", "XL")))  # 20,000 rows
    items = parse_shopify_csv(io.BufferedReader(raw), "USD")
    first = next(items)
    assert isinstance(first, ProductRecord)
    assert (first.handle, len(first.variants)) == ("shirt-0", 4)
    assert raw.bytes_read < 1_000_000
    rest = list(items)
    assert len(rest) == 4_999
    assert raw.bytes_read > 2_000_000


# --- Shopify JSON ------------------------------------------------------------------------------------------


def test_shopify_json_single_product_fixture() -> None:
    items = _parse_file(parse_shopify_json, "shopify-json/product.json")
    assert len(items) == 1
    (product,) = _products(items)
    assert (product.row, product.handle, product.title) == (1, "ipod-nano", "IPod Nano - 8GB")
    assert (product.vendor, product.category, product.status) == ("Apple", "Cult Products", "active")
    assert product.tags == ("Emotive", "Flash Memory", "MP3", "Music")
    assert product.description_html.startswith("<p>It's the small iPod with one very big idea: Video.")
    assert product.images == (ImageRecord("http://static.shopify.com/s/files/1/6909/3384/products/ipod-nano.png?0"),)
    assert product.options == (("Title", ("Pink", "Red", "Green", "Black")),)
    assert [(v.sku, v.options, v.price, v.inventory_quantity, v.weight_grams) for v in product.variants] == [
        ("IPOD2008PINK", {"Title": "Pink"}, 19900, 10, 200),
        ("IPOD2008RED", {"Title": "Red"}, 19900, 20, 200),
        ("IPOD2008GREEN", {"Title": "Green"}, 19900, 30, 200),
        ("IPOD2008BLACK", {"Title": "Black"}, 19900, 40, 200),
    ]
    assert {v.compare_at_price for v in product.variants} == {None}


def test_shopify_json_bare_list_fixture() -> None:
    items = _parse_file(parse_shopify_json, "shopify-json/products.json")
    products = _products(items)
    assert len(items) == len(products) == 4
    assert [p.row for p in products] == [1, 2, 3, 4]
    # The fixture repeats one handle four times; the parser reports what the file says.
    assert {p.handle for p in products} == {"ipod-nano"}
    assert all(len(p.variants) == 1 and p.variants[0].price == 19900 for p in products)
    assert {p.options for p in products} == {(("Title", ("Pink",)),)}


_JSON_PRODUCT = b'{"title": "Mug", "variants": [{"price": "5.00", "option1": "Default Title"}]}'


@pytest.mark.parametrize(
    "data",
    [
        b"[" + _JSON_PRODUCT + b"]",
        b'{"products": [' + _JSON_PRODUCT + b"]}",
        b'{"count": 1, "products": [' + _JSON_PRODUCT + b"]}",
        b'{"product": ' + _JSON_PRODUCT + b"}",
        b"\xef\xbb\xbf \n" + b"[" + _JSON_PRODUCT + b"]",
    ],
)
def test_shopify_json_document_shapes(data: bytes) -> None:
    (product,) = _parse(parse_shopify_json, data)
    assert isinstance(product, ProductRecord)
    assert (product.row, product.handle, product.title, product.options) == (1, "mug", "Mug", ())
    assert product.variants == (VariantRecord(row=1, sku=None, options={}, price=500),)


def test_shopify_json_fields_and_bad_entries() -> None:
    data = b"""[
      42,
      {"handle": "no-title", "variants": [{"price": "1"}]},
      {"title": "Cr\xc3\xa8me Br\xc3\xbbl\xc3\xa9e Pot", "published_at": null, "tags": ["b", "a", "B"],
       "options": [{"name": "Size"}, {"name": "Color"}],
       "images": [{"id": 7, "src": "https://x/2.jpg", "position": 2},
                  {"id": 8, "src": "https://x/1.jpg", "position": 1, "alt": "front"}],
       "variants": [
         {"sku": "P-1", "option1": "S", "option2": "Red", "price": 19.99, "compare_at_price": "25.00",
          "inventory_quantity": 3, "grams": 120.5, "image_id": 7},
         {"sku": "P-2", "option1": "S", "option2": "Red", "price": "21.00"},
         {"sku": "P-3", "option1": "M", "option2": "Red", "price": "abc"},
         {"sku": "P-4", "option1": "M", "option2": "Red", "price": 1e2, "weight": 1.5, "weight_unit": "kg"}
       ]},
      {"title": "Empty", "status": "ARCHIVED", "variants": [{"price": "-1"}]},
      {"title": "Odd", "status": "gone", "variants": [{"price": "1"}]}
    ]"""
    items = _parse(parse_shopify_json, data)
    assert _skipped(items) == [
        SkippedRow(1, None, "product 1 is not a JSON object"),
        SkippedRow(2, "no-title", "product has no title"),
        SkippedRow(3, "creme-brulee-pot", "variant 3: price 'abc' is not a decimal amount"),
        SkippedRow(
            3,
            "creme-brulee-pot",
            "variant 2: duplicate option combination Size: S / Color: Red (same as variant 1)",
        ),
        SkippedRow(4, "empty", "variant 1: price '-1' is negative"),
        SkippedRow(4, "empty", "product has no valid variants (all 1 were skipped)"),
        SkippedRow(5, "odd", "status 'gone' is not active, draft or archived"),
    ]
    (pot,) = _products(items)
    assert (pot.row, pot.status, pot.tags) == (3, "draft", ("b", "a"))  # published_at null: draft
    assert pot.images == (ImageRecord("https://x/1.jpg", "front"), ImageRecord("https://x/2.jpg"))
    assert pot.options == (("Size", ("S", "M")), ("Color", ("Red",)))
    assert pot.variants == (
        VariantRecord(
            row=3,
            sku="P-1",
            options={"Size": "S", "Color": "Red"},
            price=1999,
            compare_at_price=2500,
            inventory_quantity=3,
            weight_grams=120,  # 120.5 g, half-even
            image_url="https://x/2.jpg",
        ),
        VariantRecord(row=3, sku="P-4", options={"Size": "M", "Color": "Red"}, price=10000, weight_grams=1500),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n ", "The file is empty."),
        (b"Handle,Title\r\n", "must start with '\\[' or '\\{'"),
        (b'{"items": []}', 'has no "products" list or "product" object'),
        (b'{"products": {"title": "x"}}', 'The file\'s "products" is not a list of products'),
        (b'{"product": [1]}', 'The file\'s "product" is not a product object'),
        (b'{"products": [}', "not valid JSON"),
        (b'[{"title": "A", "variants": [{"price": "1"}]}, {"title": ', r"not valid JSON \(after product 1\)"),
    ],
)
def test_shopify_json_rejects_files_it_cannot_read(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        _parse(parse_shopify_json, data)


def test_shopify_json_larger_than_the_peeked_head() -> None:
    entry = '{"title": "Lamp %d", "body_html": "<p>%s</p>", "variants": [{"price": "%d.50"}]}'
    body = "Warm\u00a0light. " * 40
    data = ('{"products": [' + ",".join(entry % (n, body, n) for n in range(1, 301)) + "]}").encode()
    assert len(data) > 2 * 64 * 1024
    products = _products(_parse(parse_shopify_json, data))
    assert [p.row for p in products] == list(range(1, 301))
    assert (products[-1].handle, products[-1].variants[0].price) == ("lamp-300", 30050)
    assert products[150].description_html == f"<p>{body}</p>"  # HTML passes through untouched

    padding = '{"note": "%s", "products": []}' % ("x" * 70_000)
    with pytest.raises(ImportFileError, match='no "products" list or "product" object in its first 64 KB'):
        _parse(parse_shopify_json, padding.encode())


def test_shopify_json_invalid_utf8() -> None:
    with pytest.raises(ImportFileError, match="not valid JSON"):
        _parse(parse_shopify_json, b'[{"title": "Caf\xe9", "variants": []}]')


# --- WooCommerce CSV -------------------------------------------------------------------------------------


def test_woocommerce_sample_products() -> None:
    items = _parse_file(parse_woocommerce_csv, "woocommerce/sample_products.csv")
    assert len(items) == 25
    products = _by_handle(items)
    variations = [item for item in items if isinstance(item, VariationRecord)]
    assert len(products) == 16
    assert len(variations) == 7
    assert _skipped(items) == [
        SkippedRow(
            24,
            "logo-collection",
            "grouped products are not supported: they have no price or stock of their own"
            " (their member products are imported on their own rows)",
        ),
        SkippedRow(
            25,
            "wp-pennant",
            "external/affiliate products are not supported: they link to another store to be bought",
        ),
    ]

    variable = [p for p in products.values() if p.awaits_variations]
    assert [(p.row, p.handle, p.keys) for p in variable] == [
        (2, "woo-vneck-tee", ("id:44", "woo-vneck-tee")),
        (3, "woo-hoodie", ("id:45", "woo-hoodie")),
    ]
    tee = products["woo-vneck-tee"]
    assert tee.variants == ()
    assert tee.options == (("Color", ("Blue", "Green", "Red")), ("Size", ("Large", "Medium", "Small")))
    assert (tee.title, tee.category, tee.status, len(tee.images)) == (
        "V-Neck T-Shirt",
        "Clothing > Tshirts",
        "active",
        3,
    )
    assert products["woo-hoodie"].options == (("Color", ("Blue", "Green", "Red")), ("Logo", ("Yes", "No")))
    assert len(products["woo-hoodie"].images) == 4

    simple = [p for p in products.values() if not p.awaits_variations]
    assert len(simple) == 14
    assert all(len(p.variants) == 1 and p.options == () and p.variants[0].options == {} for p in simple)
    logo_hoodie = products["woo-hoodie-with-logo"]
    assert logo_hoodie.variants == (
        VariantRecord(row=4, sku="woo-hoodie-with-logo", options={}, price=4500, weight_grams=907),  # 2 lbs
    )
    assert (logo_hoodie.category, logo_hoodie.keys) == (
        "Clothing > Hoodies",
        ("id:46", "woo-hoodie-with-logo"),
    )
    beanie = products["woo-beanie"].variants[0]
    assert (beanie.price, beanie.compare_at_price, beanie.weight_grams) == (1800, 2000, 91)  # sale price 18
    album = products["woo-album"]  # "simple, downloadable, virtual"
    assert (album.category, album.variants[0].price, album.variants[0].weight_grams) == ("Music", 1500, None)
    assert products["woo-single"].variants[0].price == 200
    # The handle is the slug of the SKU; the SKU itself stays as written.
    assert products["woo-tshirt-logo"].keys == ("id:83", "Woo-tshirt-logo")
    assert products["woo-tshirt-logo"].variants[0].sku == "Woo-tshirt-logo"

    assert [(v.row, v.parent_key, v.variant.sku, v.variant.options, v.variant.price) for v in variations] == [
        (16, "woo-vneck-tee", "woo-vneck-tee-red", {"Color": "Red"}, 2000),  # Size left blank: any size
        (17, "woo-vneck-tee", "woo-vneck-tee-green", {"Color": "Green"}, 2000),
        (18, "woo-vneck-tee", "woo-vneck-tee-blue", {"Color": "Blue"}, 1500),
        (19, "woo-hoodie", "woo-hoodie-red", {"Color": "Red", "Logo": "No"}, 4200),
        (20, "woo-hoodie", "woo-hoodie-green", {"Color": "Green", "Logo": "No"}, 4500),
        (21, "woo-hoodie", "woo-hoodie-blue", {"Color": "Blue", "Logo": "No"}, 4500),
        (26, "woo-hoodie", "woo-hoodie-blue-logo", {"Color": "Blue", "Logo": "Yes"}, 4500),
    ]
    assert variations[3].variant.compare_at_price == 4500
    assert variations[3].variant.image_url == (
        "https://woocommercecore.mystagingwebsite.com/wp-content/uploads/2017/12/hoodie-2.jpg"
    )


_WOO_HEADER = (
    "ID,Type,SKU,Name,Published,Description,In stock?,Stock,Weight (kg),Sale price,Regular price,"
    "Categories,Tags,Images,Parent,"
    "Attribute 1 name,Attribute 1 value(s),Attribute 2 name,Attribute 2 value(s)"
)


def test_woocommerce_variation_before_its_parent_and_any_values() -> None:
    data = b"\xef\xbb\xbf" + _csv(
        _WOO_HEADER,
        '12,variation,,"Mug - Red",1,,1,4,0.35,,9.5,,,https://x/red.jpg,id:10,Color,Red,Size,',
        '13,variation,MUG-BLUE,"Mug - Blue",0,,1,,,,9.5,,,,id:10,Color,Blue,Size,',
        '10,variable,,Mug,-1,"Line one\\nLine two",1,,,,,"Kitchen > Mugs, Gifts","a\\, b, c",'
        '"https://x/1.jpg, https://x/2.jpg",,Color,"Red, Blue",Size,"S, M"',
    )
    red, blue, mug = _parse(parse_woocommerce_csv, data)
    assert red == VariationRecord(
        row=2,
        parent_key="id:10",
        variant=VariantRecord(
            row=2,
            sku=None,
            options={"Color": "Red"},
            price=950,
            inventory_quantity=4,
            weight_grams=350,
            image_url="https://x/red.jpg",
        ),
    )
    assert blue == SkippedRow(3, "mug-blue", "variation is disabled in WooCommerce (Published 0)")
    assert isinstance(mug, ProductRecord)
    assert (mug.row, mug.handle, mug.status, mug.keys, mug.awaits_variations) == (
        4,
        "mug",
        "draft",
        ("id:10",),
        True,
    )
    assert mug.description_html == "Line one\nLine two"
    assert (mug.category, mug.tags) == ("Kitchen > Mugs", ("a, b", "c"))
    assert [image.url for image in mug.images] == ["https://x/1.jpg", "https://x/2.jpg"]
    assert mug.options == (("Color", ("Red", "Blue")), ("Size", ("S", "M")))


def test_woocommerce_simple_products_prices_and_stock() -> None:
    data = _csv(
        _WOO_HEADER,
        "1,simple,S-1,Plate,1,,0,,,,,,,,,,,,",
        "2,simple,,Bowl Set,1,,0,,,,12,,,,,Color,Blue,,",
        "3,simple,S-3,Cup,1,,1,'-2,,3,4,,,,,,,,",
        "4,simple,S-4,Jug,1,,1,many,,,4,,,,,,,,",
        "5,bundle,S-5,Box,1,,1,,,,4,,,,,,,,",
        "6,variation,S-6,Lid,1,,1,,,,4,,,,,,,,",
    )
    items = _parse(parse_woocommerce_csv, data)
    assert _skipped(items) == [
        SkippedRow(2, "s-1", "no price: Regular price and Sale price are both empty"),
        SkippedRow(5, "s-4", "Stock 'many' is not a whole number"),
        SkippedRow(6, "s-5", "Type 'bundle' is not a WooCommerce product type this importer knows"),
        SkippedRow(7, "s-6", "variation has no Parent"),
    ]
    bowl, cup = _products(items)
    assert (bowl.handle, bowl.keys, bowl.options) == ("bowl-set", ("id:2",), ())  # no SKU: slug of the Name
    assert bowl.variants == (VariantRecord(row=3, sku=None, options={}, price=1200, inventory_quantity=0),)
    assert cup.variants[0].inventory_quantity == -2  # the exporter's '- escape is undone
    assert (cup.variants[0].price, cup.variants[0].compare_at_price) == (300, 400)


def test_woocommerce_missing_columns() -> None:
    with pytest.raises(ImportFileError, match="it has no Type, Regular price columns"):
        _parse(parse_woocommerce_csv, _csv("ID,SKU,Name", "1,a,A"))
    with pytest.raises(ImportFileError, match="The file is empty."):
        _parse(parse_woocommerce_csv, b"")


# --- sniffing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("shopify-csv/apparel.csv", "shopify_csv"),
        ("shopify-csv/home-and-garden.csv", "shopify_csv"),
        ("shopify-csv/packt_product_data.csv", "shopify_csv"),
        ("shopify-csv/product_template_2019.csv", "shopify_csv"),
        ("shopify-csv/product_template_2023.csv", "shopify_csv"),
        ("shopify-json/product.json", "shopify_json"),
        ("shopify-json/products.json", "shopify_json"),
        ("woocommerce/sample_products.csv", "woocommerce_csv"),
    ],
)
def test_sniff_sample_files(relative: str, expected: str) -> None:
    with _data(relative).open("rb") as stream:
        assert sniff_format(stream.read(4096), Path(relative).name) == expected


def test_sniff_inline() -> None:
    assert sniff_format(b"\xef\xbb\xbf\r\n  [", None) == "shopify_json"
    assert sniff_format(b'{"product": {}}', "x.txt") == "shopify_json"
    assert sniff_format(b"Title,URL handle,Price\r\n", None) == "shopify_csv"
    assert sniff_format(b'\xef\xbb\xbfID,"Type",SKU,"Regular price"\r\n', None) == "woocommerce_csv"
    with pytest.raises(ImportFileError, match=r"could not tell the file format \(feed.xml\); pass format="):
        sniff_format(b"<?xml version='1.0'?><rss>", "feed.xml")
    with pytest.raises(ImportFileError, match="could not tell the file format; pass format="):
        sniff_format(b"", None)
    with pytest.raises(ImportFileError, match="Excel workbook"):
        sniff_format(b"PK\x03\x04\x14\x00", "products.xlsx")


# --- throughput (a smoke check; the measured figure is reported by hand) -------------------------------


def test_shopify_csv_parses_tens_of_thousands_of_rows_per_second() -> None:
    data = b"".join(_big_shopify_csv(2_500, ("S", "M", "L", "XL")))
    started = time.perf_counter()
    products = _products(list(parse_shopify_csv(io.BytesIO(data), "USD")))
    elapsed = time.perf_counter() - started
    assert sum(len(p.variants) for p in products) == 10_000
    assert 10_000 / elapsed > 10_000  # loose on purpose: CI machines vary; the real figure is ~5x this
