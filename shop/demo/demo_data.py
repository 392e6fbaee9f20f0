"""The demo shop `manage.py seed_demo` writes, as plain data and pure functions.

Product *i* (`product_plan`) and gift *i* (`gift_plan`) are the same on every machine and
every run: seeding can tell which demo products already exist and create only the missing
ones, and tests can check the plans without a database. A gift plan says what became of
the gift; `shop.demo.history` replays it through the shop's services.
"""

import random
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

Attributes = dict[str, str]
Variants = tuple[tuple[Attributes, float], ...]
Texts = tuple[tuple[str, str], ...]

IMAGE_COUNT = 30
"""Distinct demo pictures shared by all demo products (files are written once)."""

MAX_PRICE = Decimal("2999.00")
MIN_PRICE = Decimal("9.90")
SOLD_OUT_SHARE = 0.05
FEATURED_SHARE = 0.10


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    name_en: str
    commission_rate: Decimal
    giftable: bool = True
    children: tuple["CategorySpec", ...] = ()


@dataclass(frozen=True)
class MerchantSpec:
    slug: str
    name: str
    name_en: str
    includes_greeting_card: bool = False  # gift slips ask for a printed card


@dataclass(frozen=True)
class ItemSpec:
    """One kind of product; `variants` falls back to the leaf category's."""

    title: str
    title_en: str
    description: str
    description_en: str
    low: float
    high: float
    variants: Variants | None = None


@dataclass(frozen=True)
class LeafSpec:
    """What a subcategory sells, who sells it and how its titles and texts vary."""

    category: str
    merchants: tuple[str, ...]
    variants: Variants
    items: tuple[ItemSpec, ...]
    suffixes: Texts
    tails: Texts
    max_price: Decimal | None = MAX_PRICE


@dataclass(frozen=True)
class SkuPlan:
    attributes: Attributes
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class ProductPlan:
    index: int
    category: str
    merchant: str
    title: str
    title_en: str
    description: str
    description_en: str
    featured: bool
    skus: tuple[SkuPlan, ...]
    images: tuple[int, ...]


def _item(
    titles: tuple[str, str],
    prices: tuple[float, float],
    descriptions: tuple[str, str],
    variants: Variants | None = None,
) -> ItemSpec:
    """An item: (Chinese, English) title, (lowest, highest) base price, (Chinese, English) text."""
    return ItemSpec(*titles, *descriptions, *prices, variants)


def _one(key: str, *values: str, factors: tuple[float, ...] = ()) -> Variants:
    """Variants differing in one attribute, e.g. `_one("colour", "黑色", "白色")`."""
    return tuple(
        ({key: value}, factors[n] if n < len(factors) else 1.0) for n, value in enumerate(values)
    )


# --- Categories ----------------------------------------------------------------------------

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "food-drink",
        "食品饮料",
        "Food & Drink",
        Decimal("0.050"),
        children=(
            CategorySpec("coffee", "咖啡", "Coffee", Decimal("0.050")),
            CategorySpec("tea", "茶叶", "Tea", Decimal("0.050")),
            CategorySpec("snacks", "零食", "Snacks", Decimal("0.040")),
            CategorySpec("alcohol", "酒水", "Alcohol", Decimal("0.060")),
        ),
    ),
    CategorySpec(
        "beauty",
        "美妆个护",
        "Beauty",
        Decimal("0.080"),
        children=(
            CategorySpec("skincare", "护肤", "Skincare", Decimal("0.080")),
            CategorySpec("makeup", "彩妆", "Makeup", Decimal("0.080")),
        ),
    ),
    CategorySpec(
        "fashion-bags",
        "服饰箱包",
        "Fashion & Bags",
        Decimal("0.070"),
        children=(
            CategorySpec("bags", "箱包", "Bags", Decimal("0.070")),
            CategorySpec("scarves", "围巾", "Scarves", Decimal("0.060")),
        ),
    ),
    CategorySpec(
        "home",
        "家居生活",
        "Home",
        Decimal("0.060"),
        children=(
            CategorySpec("candles-scents", "香薰", "Candles & Scents", Decimal("0.060")),
            CategorySpec("mugs-cups", "杯具", "Mugs & Cups", Decimal("0.050")),
        ),
    ),
    CategorySpec(
        "electronics",
        "数码",
        "Electronics",
        Decimal("0.030"),
        children=(CategorySpec("headphones", "耳机", "Headphones", Decimal("0.030")),),
    ),
    CategorySpec(
        "toys",
        "玩具",
        "Toys",
        Decimal("0.060"),
        children=(CategorySpec("plush-toys", "毛绒玩具", "Plush", Decimal("0.060")),),
    ),
    CategorySpec(
        "books",
        "图书",
        "Books",
        Decimal("0.020"),
        children=(CategorySpec("literature", "文学", "Literature", Decimal("0.020")),),
    ),
    CategorySpec(
        "jewellery",
        "珠宝首饰",
        "Jewellery",
        Decimal("0.100"),
        giftable=False,
        children=(
            CategorySpec("necklaces", "项链", "Necklaces", Decimal("0.100"), giftable=False),
            CategorySpec("rings", "戒指", "Rings", Decimal("0.100"), giftable=False),
        ),
    ),
    CategorySpec(
        "education",
        "教育培训",
        "Education & Training",
        Decimal("0.100"),
        giftable=False,
        children=(
            CategorySpec(
                "online-courses", "在线课程", "Online courses", Decimal("0.100"), giftable=False
            ),
        ),
    ),
)

# --- Merchants -----------------------------------------------------------------------------

MERCHANTS: tuple[MerchantSpec, ...] = (
    MerchantSpec("mountain-coffee", "山野咖啡", "Mountain Coffee", includes_greeting_card=True),
    MerchantSpec("qinghe-tea", "青禾茶舍", "Qinghe Tea House", includes_greeting_card=True),
    MerchantSpec("city-leather", "城市皮具", "City Leather"),
    MerchantSpec("warm-light-home", "暖光家居", "Warm Light Home"),
    MerchantSpec("yayan-beauty", "雅颜美妆", "Yayan Beauty"),
    MerchantSpec("mengqu-toys", "萌趣玩具", "Mengqu Toys"),
    MerchantSpec("shiguang-jewellery", "拾光饰品", "Shiguang Jewellery"),
    MerchantSpec("zhixing-academy", "知行学堂", "Zhixing Academy"),
    MerchantSpec("shengyue-digital", "声悦数码", "Shengyue Digital"),
    MerchantSpec("moxiang-books", "墨香书屋", "Moxiang Books"),
)

# --- Shared wording ------------------------------------------------------------------------

GENERIC_SUFFIXES: Texts = (
    ("", ""),
    (" · 经典款", " · Classic"),
    (" · 限定款", " · Limited Edition"),
    (" · 2026 新款", " · 2026 Edition"),
)
FOOD_SUFFIXES: Texts = (
    ("", ""),
    (" · 经典款", " · Classic"),
    (" · 节日限定", " · Holiday Edition"),
    (" · 当季新品", " · New Season"),
)
GIFT_WRAP: tuple[str, str] = (
    "支持礼品包装，可附赠手写贺卡。",
    "Gift wrapping and a handwritten card available.",
)
FAST_SHIPPING: tuple[str, str] = (
    "下单后 48 小时内发货。",
    "Ships within 48 hours of your order.",
)

# --- What each subcategory sells ------------------------------------------------------------

LEAVES: tuple[LeafSpec, ...] = (
    LeafSpec(
        category="coffee",
        merchants=("mountain-coffee",),
        variants=_one("weight", "250g", "500g", "1kg", factors=(1.0, 1.8, 3.3)),
        items=(
            _item(
                ("云南小粒咖啡豆", "Yunnan Arabica Coffee Beans"),
                (39, 89),
                (
                    "保山高海拔产区，中度烘焙，坚果与红糖风味。",
                    "Grown high in Baoshan; medium roast with notes of nuts and brown sugar.",
                ),
            ),
            _item(
                ("埃塞俄比亚耶加雪菲咖啡豆", "Ethiopia Yirgacheffe Coffee Beans"),
                (69, 139),
                (
                    "浅度烘焙，柑橘与茉莉花香，适合手冲。",
                    "Light roast with citrus and jasmine, made for pour-over.",
                ),
            ),
            _item(
                ("意式拼配咖啡豆", "Espresso Blend Coffee Beans"),
                (49, 109),
                (
                    "深度烘焙，油脂丰富，做拿铁也不失风味。",
                    "Dark roast with rich crema that stands up to milk.",
                ),
            ),
            _item(
                ("哥伦比亚挂耳咖啡", "Colombian Drip Bag Coffee"),
                (29, 69),
                (
                    "一杯一袋，热水冲泡三分钟即可。",
                    "One bag per cup: add hot water and wait three minutes.",
                ),
                _one("pack", "10袋装", "20袋装", "30袋装", factors=(1.0, 1.8, 2.5)),
            ),
            _item(
                ("冷萃咖啡液", "Cold Brew Coffee Concentrate"),
                (39, 89),
                (
                    "低温萃取十二小时，加冰或牛奶即饮。",
                    "Steeped cold for twelve hours; pour over ice or milk.",
                ),
                _one("pack", "6瓶装", "12瓶装", factors=(1.0, 1.85)),
            ),
            _item(
                ("冻干速溶咖啡", "Freeze-Dried Instant Coffee"),
                (29, 79),
                ("三秒速溶，冷水热水都可以。", "Dissolves in seconds in hot or cold water."),
                _one("pack", "12颗装", "24颗装", factors=(1.0, 1.8)),
            ),
            _item(
                ("咖啡礼盒", "Coffee Gift Box"),
                (129, 299),
                (
                    "三款产区咖啡豆搭配手冲滤纸，送给咖啡爱好者。",
                    "Three single-origin coffees with filter papers, for the coffee lover.",
                ),
                _one("package", "标准礼盒", "豪华礼盒", factors=(1.0, 1.6)),
            ),
            _item(
                ("手冲咖啡器具套装", "Pour-Over Coffee Kit"),
                (159, 459),
                (
                    "滤杯、分享壶、手冲壶与滤纸一应俱全。",
                    "Dripper, server, gooseneck kettle and filters in one box.",
                ),
                _one("colour", "白色", "黑色", "木纹", factors=(1.0, 1.0, 1.1)),
            ),
        ),
        suffixes=FOOD_SUFFIXES,
        tails=(GIFT_WRAP, FAST_SHIPPING),
    ),
    LeafSpec(
        category="tea",
        merchants=("qinghe-tea",),
        variants=_one("weight", "50g", "100g", "250g", factors=(1.0, 1.8, 4.0)),
        items=(
            _item(
                ("明前西湖龙井", "Pre-Qingming West Lake Longjing Tea"),
                (128, 468),
                (
                    "清明前采摘，豆香清雅，回甘明显。",
                    "Picked before Qingming: delicate, nutty, with a sweet finish.",
                ),
            ),
            _item(
                ("正山小种红茶", "Lapsang Souchong Black Tea"),
                (68, 268),
                (
                    "松烟香与桂圆香交织，汤色红亮。",
                    "Pine-smoke and longan notes in a bright red cup.",
                ),
            ),
            _item(
                ("云南普洱茶饼", "Yunnan Pu'er Tea Cake"),
                (99, 599),
                (
                    "勐海原料，越陈越香，可长期存放。",
                    "Made from Menghai leaves; it improves with age.",
                ),
                _one("weight", "200g", "357g", factors=(1.0, 1.6)),
            ),
            _item(
                ("安溪铁观音", "Anxi Tieguanyin Oolong Tea"),
                (58, 298),
                (
                    "兰花香馥郁，七泡有余香。",
                    "An orchid-scented oolong that lasts seven infusions.",
                ),
            ),
            _item(
                ("福鼎白毫银针", "Fuding Silver Needle White Tea"),
                (128, 598),
                ("单芽制成，毫香蜜韵。", "Made from single buds, with a honeyed, downy aroma."),
            ),
            _item(
                ("茉莉花茶", "Jasmine Green Tea"),
                (39, 159),
                ("七窨一提，花香鲜灵。", "Scented seven times with fresh jasmine blossoms."),
            ),
            _item(
                ("桂花乌龙茶包", "Osmanthus Oolong Tea Bags"),
                (29, 69),
                (
                    "三角立体茶包，办公室也能好好喝茶。",
                    "Pyramid tea bags for a proper cup at the office.",
                ),
                _one("pack", "15包装", "30包装", factors=(1.0, 1.8)),
            ),
        ),
        suffixes=FOOD_SUFFIXES,
        tails=(GIFT_WRAP, FAST_SHIPPING),
    ),
    LeafSpec(
        category="snacks",
        merchants=("mountain-coffee", "qinghe-tea"),
        variants=_one("package", "单盒", "两盒装", "家庭装", factors=(1.0, 1.9, 2.6)),
        items=(
            _item(
                ("每日坚果礼盒", "Daily Mixed Nuts Gift Box"),
                (69, 199),
                (
                    "六种坚果果干独立小包，三十天不重样。",
                    "Six nuts and dried fruits in daily packs.",
                ),
            ),
            _item(
                ("手工黄油曲奇", "Handmade Butter Cookies"),
                (39, 99),
                (
                    "新西兰黄油，低温慢烤，酥松掉渣。",
                    "Made with New Zealand butter and baked slowly for a crumbly bite.",
                ),
            ),
            _item(
                ("72% 黑巧克力", "72% Dark Chocolate"),
                (29, 129),
                (
                    "单一产区可可，微苦回甘。",
                    "Single-origin cacao, gently bitter with a long finish.",
                ),
            ),
            _item(
                ("台式凤梨酥", "Taiwanese Pineapple Cakes"),
                (49, 139),
                ("土凤梨内馅，酸甜不腻。", "Filled with native pineapple, sweet and tart."),
            ),
            _item(
                ("海盐牛轧糖", "Sea Salt Nougat"),
                (29, 89),
                ("奶香浓郁，夹满扁桃仁。", "Creamy nougat packed with almonds."),
            ),
            _item(
                ("泰国芒果干", "Thai Dried Mango"),
                (19, 59),
                ("肉厚软糯，不额外加糖。", "Thick, chewy slices with no added sugar."),
            ),
            _item(
                ("流心奶黄月饼礼盒", "Custard Mooncake Gift Box"),
                (99, 299),
                (
                    "奶黄流心，中秋送礼。",
                    "Mooncakes with a molten custard centre, for the Mid-Autumn Festival.",
                ),
                _one("package", "8枚装", "12枚装", factors=(1.0, 1.4)),
            ),
        ),
        suffixes=FOOD_SUFFIXES,
        tails=(GIFT_WRAP, FAST_SHIPPING),
    ),
    LeafSpec(
        category="alcohol",
        merchants=("qinghe-tea",),
        variants=_one("spec", "500ml", "750ml", "750ml × 2", factors=(1.0, 1.4, 2.6)),
        items=(
            _item(
                ("十年陈绍兴花雕酒", "10-Year Shaoxing Huadiao Rice Wine"),
                (89, 299),
                ("陈酿十年，温热后饮用更佳。", "Aged ten years; best served warm."),
            ),
            _item(
                ("青梅酒", "Green Plum Wine"),
                (49, 139),
                (
                    "青梅与冰糖浸泡，冰镇饮用清爽。",
                    "Plums steeped with rock sugar; refreshing over ice.",
                ),
            ),
            _item(
                ("桂花米酒", "Osmanthus Rice Wine"),
                (29, 79),
                ("低度微甜，适合家宴小酌。", "Light and slightly sweet, for family dinners."),
            ),
            _item(
                ("宁夏干红葡萄酒", "Ningxia Dry Red Wine"),
                (99, 499),
                (
                    "贺兰山东麓产区，单宁柔顺。",
                    "From the eastern foot of the Helan Mountains, with soft tannins.",
                ),
            ),
            _item(
                ("精酿啤酒礼盒", "Craft Beer Gift Box"),
                (99, 259),
                ("六款风格精酿，从 IPA 到世涛。", "Six craft styles from IPA to stout."),
                _one("pack", "6瓶装", "12瓶装", factors=(1.0, 1.8)),
            ),
            _item(
                ("清香型白酒", "Light-Aroma Baijiu"),
                (128, 1288),
                ("入口绵甜，余味爽净。", "Smooth and mellow, with a clean finish."),
            ),
        ),
        suffixes=FOOD_SUFFIXES,
        tails=(("未满十八岁请勿饮酒。", "Not for sale to anyone under 18."), GIFT_WRAP),
    ),
    LeafSpec(
        category="skincare",
        merchants=("yayan-beauty",),
        variants=_one("volume", "30ml", "50ml", "100ml", factors=(1.0, 1.5, 2.6)),
        items=(
            _item(
                ("玻尿酸保湿精华液", "Hyaluronic Acid Hydrating Serum"),
                (129, 499),
                (
                    "多重分子玻尿酸，一整天水润。",
                    "Multi-weight hyaluronic acid for all-day moisture.",
                ),
            ),
            _item(
                ("积雪草修护面霜", "Centella Repair Cream"),
                (99, 399),
                ("舒缓泛红，修护屏障。", "Calms redness and repairs the skin barrier."),
                _one("volume", "30ml", "50ml", factors=(1.0, 1.5)),
            ),
            _item(
                ("氨基酸洁面乳", "Amino Acid Facial Cleanser"),
                (59, 139),
                ("温和弱酸性，敏感肌也能用。", "Gentle and pH-balanced, fine for sensitive skin."),
                _one("size", "100g", "150g", factors=(1.0, 1.4)),
            ),
            _item(
                ("烟酰胺焕亮爽肤水", "Niacinamide Brightening Toner"),
                (89, 259),
                ("提亮肤色，温和二次清洁。", "Brightens and gently clears pores."),
                _one("volume", "150ml", "250ml", factors=(1.0, 1.5)),
            ),
            _item(
                ("视黄醇抗皱眼霜", "Retinol Anti-Wrinkle Eye Cream"),
                (159, 599),
                ("淡化细纹，质地轻盈。", "Softens fine lines in a light texture."),
                _one("volume", "15ml", "30ml", factors=(1.0, 1.8)),
            ),
            _item(
                ("护肤四件套礼盒", "Four-Piece Skincare Gift Set"),
                (299, 1299),
                ("洁面、水、精华、面霜一次配齐。", "Cleanser, toner, serum and cream in one box."),
                _one("edition", "标准版", "节日限定版", factors=(1.0, 1.2)),
            ),
            _item(
                ("清透防晒乳 SPF50+", "Sheer Sunscreen SPF50+"),
                (79, 229),
                (
                    "清爽不油腻，通勤户外都适用。",
                    "Light, non-greasy protection for the commute or the beach.",
                ),
                _one("volume", "50ml", "100ml", factors=(1.0, 1.7)),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("正品保障，支持专柜验货。", "Genuine products, verifiable at any counter."),
            ("附赠小样与礼品袋。", "Comes with samples and a gift bag."),
        ),
    ),
    LeafSpec(
        category="makeup",
        merchants=("yayan-beauty",),
        variants=_one("shade", "01 正红", "02 豆沙", "03 枫叶", "04 裸粉"),
        items=(
            _item(
                ("丝绒哑光口红", "Velvet Matte Lipstick"),
                (99, 399),
                (
                    "一抹显色，持久不拔干。",
                    "Rich colour in one swipe, long-wearing without drying.",
                ),
            ),
            _item(
                ("水光镜面唇釉", "Glossy Lip Glaze"),
                (89, 299),
                ("镜面光泽，水润不粘。", "A mirror shine that feels light, not sticky."),
            ),
            _item(
                ("九色眼影盘", "Nine-Shade Eyeshadow Palette"),
                (129, 459),
                (
                    "哑光与珠光搭配，日常到派对都能用。",
                    "Matte and shimmer shades from day to party.",
                ),
                _one("palette", "大地色", "玫瑰色", "蜜桃色"),
            ),
            _item(
                ("轻透持妆粉底液", "Lightweight Long-Wear Foundation"),
                (159, 499),
                ("轻薄服帖，持妆十二小时。", "Sheer, even coverage that lasts twelve hours."),
                _one("shade", "象牙白", "自然色", "小麦色"),
            ),
            _item(
                ("柔雾腮红", "Soft-Focus Blush"),
                (69, 249),
                ("粉质细腻，自然好气色。", "Finely milled powder for a natural flush."),
                _one("shade", "蜜桃", "玫瑰", "杏色"),
            ),
            _item(
                ("彩妆节日礼盒", "Holiday Makeup Gift Set"),
                (299, 999),
                (
                    "口红、眼影、腮红组合，附礼袋。",
                    "Lipstick, eyeshadow and blush, with a gift bag.",
                ),
                _one("edition", "节日限定版"),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("正品保障，支持专柜验货。", "Genuine products, verifiable at any counter."),
            ("附赠小样与礼品袋。", "Comes with samples and a gift bag."),
        ),
    ),
    LeafSpec(
        category="bags",
        merchants=("city-leather",),
        variants=_one("colour", "黑色", "棕色", "米白", "酒红", factors=(1.0, 1.0, 1.0, 1.05)),
        items=(
            _item(
                ("真皮托特包", "Leather Tote Bag"),
                (399, 1599),
                (
                    "头层牛皮，能装下 14 英寸笔记本。",
                    "Full-grain leather with room for a 14-inch laptop.",
                ),
            ),
            _item(
                ("帆布托特包", "Canvas Tote Bag"),
                (59, 199),
                (
                    "加厚帆布，轻便耐用，通勤买菜都合适。",
                    "Heavy canvas, light and tough, for work or the market.",
                ),
            ),
            _item(
                ("复古斜挎包", "Vintage Crossbody Bag"),
                (199, 899),
                (
                    "肩带可调节，刚好放下手机和钱包。",
                    "Adjustable strap, just big enough for a phone and wallet.",
                ),
            ),
            _item(
                ("通勤双肩包", "Commuter Backpack"),
                (199, 699),
                ("防泼水面料，独立电脑仓。", "Water-repellent, with a padded laptop sleeve."),
            ),
            _item(
                ("真皮单肩包", "Leather Shoulder Bag"),
                (499, 1999),
                (
                    "植鞣牛皮，越用越有光泽。",
                    "Vegetable-tanned leather that gains a patina with use.",
                ),
            ),
            _item(
                ("周末旅行包", "Weekend Travel Bag"),
                (299, 999),
                (
                    "大容量带鞋仓，可套拉杆箱。",
                    "Roomy, with a shoe compartment and a trolley sleeve.",
                ),
            ),
            _item(
                ("牛皮短款钱包", "Leather Bifold Wallet"),
                (129, 499),
                ("八个卡位，轻薄不鼓包。", "Eight card slots and still slim."),
            ),
            _item(
                ("商务公文包", "Business Briefcase"),
                (399, 1699),
                (
                    "简约硬挺，适合出差与会议。",
                    "Structured and understated, for meetings and travel.",
                ),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("支持七天无理由退换。", "Free returns within 7 days."),
            ("附品牌礼盒与礼品卡。", "Arrives in a branded gift box with a card."),
        ),
    ),
    LeafSpec(
        category="scarves",
        merchants=("city-leather",),
        variants=_one("colour", "驼色", "藏青", "酒红", "燕麦色"),
        items=(
            _item(
                ("羊绒围巾", "Cashmere Scarf"),
                (399, 1299),
                ("内蒙古山羊绒，轻软保暖。", "Inner Mongolian cashmere, light and warm."),
            ),
            _item(
                ("真丝方巾", "Silk Square Scarf"),
                (199, 699),
                (
                    "百分百桑蚕丝，可作发带或包饰。",
                    "Pure mulberry silk; wear it in your hair or tie it to a bag.",
                ),
            ),
            _item(
                ("羊毛格纹围巾", "Wool Plaid Scarf"),
                (159, 499),
                ("经典格纹，百搭大衣。", "A classic plaid that goes with any coat."),
            ),
            _item(
                ("纯色针织围巾", "Solid Knit Scarf"),
                (59, 199),
                ("亲肤不扎，男女同款。", "Soft on the skin, for anyone."),
            ),
            _item(
                ("羊毛披肩", "Wool Shawl"),
                (229, 799),
                (
                    "宽幅设计，空调房与旅行必备。",
                    "Wide enough to wrap up in on a plane or in the office.",
                ),
            ),
            _item(
                ("亲子围巾套装", "Parent and Child Scarf Set"),
                (159, 399),
                ("一大一小，冬天一起出门。", "One large, one small, for winter walks together."),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("支持七天无理由退换。", "Free returns within 7 days."),
            ("附品牌礼盒与礼品卡。", "Arrives in a branded gift box with a card."),
        ),
    ),
    LeafSpec(
        category="candles-scents",
        merchants=("warm-light-home", "yayan-beauty"),
        variants=_one("size", "小号", "中号", "大号", factors=(1.0, 1.6, 2.3)),
        items=(
            _item(
                ("雪松香薰蜡烛", "Cedarwood Scented Candle"),
                (69, 259),
                (
                    "大豆蜡手工灌制，可燃烧约 40 小时。",
                    "Hand-poured soy wax with about 40 hours of burn time.",
                ),
            ),
            _item(
                ("白茶无火香薰", "White Tea Reed Diffuser"),
                (79, 299),
                ("藤条扩香，持续约两个月。", "Rattan reeds scent a room for about two months."),
            ),
            _item(
                ("无花果香薰蜡烛", "Fig Scented Candle"),
                (69, 259),
                ("清甜果香带一点木质调。", "Sweet fruit over a woody base."),
            ),
            _item(
                ("薰衣草精油", "Lavender Essential Oil"),
                (49, 169),
                ("法国普罗旺斯薰衣草，助眠放松。", "Provence lavender to help you unwind."),
                _one("volume", "10ml", "30ml", factors=(1.0, 2.2)),
            ),
            _item(
                ("檀香线香", "Sandalwood Incense Sticks"),
                (39, 129),
                (
                    "天然香料手工制作，烟少香柔。",
                    "Handmade from natural spices: little smoke, soft scent.",
                ),
                _one("pack", "50支装", "100支装", factors=(1.0, 1.8)),
            ),
            _item(
                ("香薰礼盒", "Home Fragrance Gift Set"),
                (199, 599),
                ("蜡烛、扩香与火柴三件套。", "A candle, a diffuser and matches in one box."),
                _one("scent", "雪松", "白茶", "橙花"),
            ),
            _item(
                ("车载香薰", "Car Air Freshener"),
                (39, 129),
                ("出风口夹式，香味淡雅不刺鼻。", "Clips to the air vent; a gentle scent."),
                _one("scent", "雪松", "海盐", "柑橘"),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("易碎品加厚包装，破损包赔。", "Packed with care; breakages are replaced."),
            GIFT_WRAP,
        ),
    ),
    LeafSpec(
        category="mugs-cups",
        merchants=("warm-light-home", "mountain-coffee", "qinghe-tea"),
        variants=_one("colour", "白色", "墨绿", "雾蓝", "燕麦色"),
        items=(
            _item(
                ("手工陶瓷马克杯", "Handmade Ceramic Mug"),
                (49, 169),
                (
                    "每只釉色略有不同，容量 350ml。",
                    "Every glaze is slightly different; holds 350ml.",
                ),
            ),
            _item(
                ("骨瓷咖啡杯碟套装", "Bone China Cup and Saucer Set"),
                (99, 399),
                ("细腻透光，下午茶的好搭档。", "Fine, translucent china for afternoon tea."),
            ),
            _item(
                ("双层玻璃杯", "Double-Wall Glass Cup"),
                (39, 129),
                ("防烫隔热，看得见咖啡分层。", "Cool to hold, and shows off a layered latte."),
                _one("capacity", "250ml", "350ml", factors=(1.0, 1.2)),
            ),
            _item(
                ("不锈钢保温杯", "Stainless Steel Insulated Cup"),
                (89, 299),
                (
                    "316 不锈钢内胆，保温 12 小时。",
                    "A 316 steel inner wall keeps drinks hot for 12 hours.",
                ),
            ),
            _item(
                ("情侣对杯", "Couple Mug Set"),
                (99, 299),
                ("两只一套，附礼盒。", "A matching pair, gift-boxed."),
                _one("style", "山与海", "日与月"),
            ),
            _item(
                ("粗陶茶杯", "Stoneware Teacup"),
                (39, 159),
                ("柴烧粗陶，握感温润。", "Wood-fired stoneware that feels warm in the hand."),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("易碎品加厚包装，破损包赔。", "Packed with care; breakages are replaced."),
            GIFT_WRAP,
        ),
    ),
    LeafSpec(
        category="headphones",
        merchants=("shengyue-digital",),
        variants=_one("colour", "曜石黑", "珍珠白", "雾蓝", factors=(1.0, 1.0, 1.03)),
        items=(
            _item(
                ("真无线降噪耳机", "True Wireless Noise-Cancelling Earbuds"),
                (299, 1299),
                (
                    "主动降噪 40dB，续航 30 小时。",
                    "40dB active noise cancelling and 30 hours of battery.",
                ),
            ),
            _item(
                ("头戴式蓝牙耳机", "Over-Ear Bluetooth Headphones"),
                (399, 2499),
                (
                    "大尺寸动圈，长时间佩戴也舒适。",
                    "Large drivers and a comfortable fit for long sessions.",
                ),
            ),
            _item(
                ("运动蓝牙耳机", "Sports Bluetooth Earphones"),
                (129, 499),
                ("IPX5 防汗，耳挂稳固。", "IPX5 sweat-proof, with secure ear hooks."),
            ),
            _item(
                ("骨传导耳机", "Bone Conduction Headphones"),
                (299, 999),
                ("开放双耳，跑步骑行更安全。", "Leaves your ears open for safer runs and rides."),
            ),
            _item(
                ("有线 Hi-Fi 耳机", "Wired Hi-Fi Earphones"),
                (99, 699),
                (
                    "双动圈单元，附 3.5mm 与 Type-C 线材。",
                    "Dual dynamic drivers, with 3.5mm and USB-C cables.",
                ),
            ),
            _item(
                ("儿童护耳耳机", "Kids' Volume-Limited Headphones"),
                (129, 299),
                ("85 分贝限音，保护听力。", "Capped at 85dB to protect young ears."),
                _one("colour", "天空蓝", "樱花粉"),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            (
                "全国联保一年，支持七天无理由退换。",
                "One-year nationwide warranty; returns within 7 days.",
            ),
            FAST_SHIPPING,
        ),
    ),
    LeafSpec(
        category="plush-toys",
        merchants=("mengqu-toys",),
        variants=_one("size", "S 25cm", "M 40cm", "L 60cm", factors=(1.0, 1.6, 2.4)),
        items=(
            _item(
                ("熊猫毛绒公仔", "Panda Plush Toy"),
                (49, 199),
                ("超柔短毛绒，可以机洗。", "Extra-soft short plush, machine washable."),
            ),
            _item(
                ("柴犬抱枕公仔", "Shiba Inu Plush Pillow"),
                (59, 229),
                ("软糯回弹，午睡好伙伴。", "Squishy and springy: the perfect nap companion."),
            ),
            _item(
                ("小兔安抚玩偶", "Bunny Comfort Doll"),
                (49, 159),
                (
                    "符合婴幼儿安全标准，陪伴入睡。",
                    "Meets infant safety standards; a bedtime friend.",
                ),
            ),
            _item(
                ("恐龙毛绒玩具", "Dinosaur Plush Toy"),
                (39, 179),
                ("造型憨萌，孩子的第一只恐龙。", "A friendly first dinosaur."),
            ),
            _item(
                ("生肖龙毛绒挂件", "Zodiac Dragon Plush Keyring"),
                (19, 59),
                ("小巧可挂包，新年好礼。", "Small enough to clip to a bag; a New Year gift."),
                _one("colour", "红色", "金色"),
            ),
            _item(
                ("猫咪毛绒玩具", "Cat Plush Toy"),
                (49, 199),
                ("仿真猫咪造型，手感细腻。", "A lifelike cat with a silky touch."),
            ),
        ),
        suffixes=GENERIC_SUFFIXES,
        tails=(
            ("符合 GB 6675 玩具安全标准。", "Meets the GB 6675 toy safety standard."),
            GIFT_WRAP,
        ),
    ),
    LeafSpec(
        category="literature",
        merchants=("moxiang-books", "zhixing-academy"),
        variants=_one("edition", "平装", "精装", "典藏套装", factors=(1.0, 1.5, 2.4)),
        items=(
            _item(
                ("红楼梦", "Dream of the Red Chamber"),
                (39, 129),
                (
                    "脂评汇校本，附人物关系图。",
                    "With classic commentary and a map of the characters.",
                ),
            ),
            _item(
                ("活着", "To Live"),
                (29, 69),
                (
                    "余华代表作，讲述人在苦难中的坚韧。",
                    "Yu Hua's classic of endurance through hardship.",
                ),
            ),
            _item(
                ("围城", "Fortress Besieged"),
                (29, 69),
                (
                    "钱钟书唯一的长篇小说，幽默而犀利。",
                    "Qian Zhongshu's only novel: witty and sharp.",
                ),
            ),
            _item(
                ("边城", "Border Town"),
                (19, 59),
                (
                    "沈从文笔下的湘西山水与人情。",
                    "Shen Congwen's western Hunan, its rivers and its people.",
                ),
            ),
            _item(
                ("唐诗三百首", "Three Hundred Tang Poems"),
                (29, 89),
                ("注释赏析本，适合全家阅读。", "With notes and commentary, for the whole family."),
            ),
            _item(
                ("百年孤独", "One Hundred Years of Solitude"),
                (39, 99),
                ("马尔克斯魔幻现实主义经典。", "García Márquez's masterpiece of magical realism."),
            ),
            _item(
                ("小王子", "The Little Prince"),
                (19, 59),
                (
                    "中英双语彩绘本。",
                    "A bilingual Chinese-English edition with colour illustrations.",
                ),
            ),
            _item(
                ("人间词话", "Poetic Remarks in the Human World"),
                (19, 49),
                ("王国维论词经典。", "Wang Guowei's classic essay on ci poetry."),
            ),
        ),
        suffixes=(("", ""), ("（插图本）", " (Illustrated)"), ("（注释本）", " (Annotated)")),
        tails=(
            ("正版图书，塑封发货。", "Genuine editions, shipped shrink-wrapped."),
            ("可代写赠言卡片。", "We can write a dedication card for you."),
        ),
    ),
    LeafSpec(
        category="necklaces",
        merchants=("shiguang-jewellery",),
        variants=(
            ({"material": "925银", "length": "40cm"}, 1.0),
            ({"material": "925银", "length": "45cm"}, 1.05),
            ({"material": "18K金", "length": "45cm"}, 3.6),
        ),
        items=(
            _item(
                ("锁骨链", "Dainty Collarbone Chain"),
                (199, 599),
                ("细链百搭，适合日常叠戴。", "A fine chain for everyday layering."),
            ),
            _item(
                ("淡水珍珠项链", "Freshwater Pearl Necklace"),
                (399, 1599),
                ("天然淡水珍珠，光泽温润。", "Natural freshwater pearls with a soft lustre."),
            ),
            _item(
                ("四叶草吊坠项链", "Four-Leaf Clover Pendant Necklace"),
                (299, 999),
                ("寓意幸运，贝母镶嵌。", "A lucky clover set with mother-of-pearl."),
            ),
            _item(
                ("钻石吊坠项链", "Diamond Pendant Necklace"),
                (3999, 12999),
                ("30 分 GIA 证书钻石，VS 净度。", "A 0.3-carat GIA-certified diamond, VS clarity."),
                _one("material", "18K白金", "18K玫瑰金", "18K黄金"),
            ),
            _item(
                ("和田玉平安扣项链", "Hetian Jade Peace Buckle Necklace"),
                (399, 2999),
                ("新疆和田玉，手工编绳。", "Xinjiang Hetian jade on a hand-braided cord."),
                _one("cord", "红绳", "黑绳"),
            ),
            _item(
                ("足金转运珠项链", "24K Gold Lucky Bead Necklace"),
                (899, 2999),
                ("足金 999，按克重计价。", "999 fine gold, priced by weight."),
                _one("weight", "约1g", "约2g", factors=(1.0, 1.9)),
            ),
        ),
        suffixes=(("", ""), (" · 经典款", " · Classic"), (" · 520 限定", " · 520 Limited Edition")),
        tails=(
            (
                "附专业鉴定证书，支持七天无理由退换。",
                "With a certificate of authenticity; returns within 7 days.",
            ),
            ("贵重商品，保价顺丰发货。", "Shipped insured by SF Express."),
        ),
        max_price=None,
    ),
    LeafSpec(
        category="rings",
        merchants=("shiguang-jewellery",),
        variants=_one("size", "10号", "12号", "14号", "16号"),
        items=(
            _item(
                ("925 银开口戒指", "Sterling Silver Open Ring"),
                (99, 399),
                ("开口可调节，适合大多数指围。", "Adjustable to fit most fingers."),
                _one("finish", "亮面", "磨砂"),
            ),
            _item(
                ("18K 金素圈戒指", "18K Gold Plain Band"),
                (999, 2999),
                ("简约素圈，内圈可刻字。", "A simple band that can be engraved inside."),
            ),
            _item(
                ("钻石求婚戒指", "Diamond Engagement Ring"),
                (5999, 15999),
                ("50 分主钻，六爪镶嵌。", "A 0.5-carat centre stone in a six-prong setting."),
            ),
            _item(
                ("情侣对戒", "Couple Ring Set"),
                (599, 2999),
                ("一对两枚，内圈免费刻字。", "A pair, with free engraving inside."),
            ),
            _item(
                ("莫桑石戒指", "Moissanite Ring"),
                (699, 2599),
                ("火彩出众，附检测证书。", "Brilliant fire, with a test certificate."),
            ),
            _item(
                ("淡水珍珠戒指", "Freshwater Pearl Ring"),
                (299, 899),
                ("单颗淡水珍珠，简约优雅。", "A single freshwater pearl, simple and elegant."),
            ),
        ),
        suffixes=(("", ""), (" · 经典款", " · Classic"), (" · 520 限定", " · 520 Limited Edition")),
        tails=(
            (
                "附专业鉴定证书，支持七天无理由退换。",
                "With a certificate of authenticity; returns within 7 days.",
            ),
            ("贵重商品，保价顺丰发货。", "Shipped insured by SF Express."),
        ),
        max_price=None,
    ),
    LeafSpec(
        category="online-courses",
        merchants=("zhixing-academy",),
        variants=_one("plan", "基础班", "进阶班", "一对一辅导", factors=(1.0, 1.8, 3.5)),
        items=(
            _item(
                ("Python 编程入门", "Introduction to Python Programming"),
                (199, 699),
                (
                    "48 节视频课，从零基础到写出第一个小项目。",
                    "48 video lessons, from zero to your first project.",
                ),
            ),
            _item(
                ("商务英语口语", "Business English Speaking"),
                (399, 1299),
                (
                    "外教直播小班，每周两次。",
                    "Small live classes with native speakers, twice a week.",
                ),
            ),
            _item(
                ("手机摄影课", "Smartphone Photography"),
                (99, 299),
                (
                    "构图、光线与后期，一部手机就够。",
                    "Composition, light and editing with just your phone.",
                ),
            ),
            _item(
                ("零基础水彩画", "Watercolour for Beginners"),
                (129, 399),
                (
                    "从调色到完成作品，附材料清单。",
                    "From mixing colours to a finished piece, with a supplies list.",
                ),
            ),
            _item(
                ("Excel 数据分析", "Data Analysis with Excel"),
                (99, 399),
                ("函数、透视表与图表实战。", "Formulas, pivot tables and charts, hands-on."),
            ),
            _item(
                ("古典吉他入门", "Classical Guitar for Beginners"),
                (149, 499),
                ("三十天弹会第一首曲子。", "Play your first piece in 30 days."),
            ),
            _item(
                ("日语 N5 速成", "Japanese JLPT N5 Crash Course"),
                (199, 599),
                ("从五十音到日常会话。", "From kana to everyday conversation."),
            ),
        ),
        suffixes=(
            ("", ""),
            (" · 2026 春季班", " · Spring 2026"),
            (" · 周末班", " · Weekend Class"),
        ),
        tails=(
            ("购买后一年内可随时回看。", "Watch any time for a year after purchase."),
            ("开课七天内未学习可全额退款。", "Full refund within 7 days if you have not started."),
        ),
    ),
)

# --- Demo accounts -------------------------------------------------------------------------

SHOPPER_EMAIL = "shopper@example.com"
SHOPPER_PASSWORD = "shopper-demo-2026"
SHOPPER_NAME = "王小明"
SHOPPER_ADDRESS: dict[str, str] = {
    "recipient_name": "王小明",
    "phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "street": "世纪大道 100 号 8 楼 801 室",
    "postcode": "200120",
}
OPERATOR_EMAIL = "operator@example.com"
OPERATOR_PASSWORD = "operator-demo-2026"
OPERATOR_NAME = "平台运营"

# --- Products ------------------------------------------------------------------------------

SKU_CODE_PREFIX = "DEMO-"


# Where one recipient asks their parcel to go instead (a change before shipping).
CHANGED_ADDRESS = {
    "recipient_name": "周小雨",
    "phone": "13900000088",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "street": "漕溪北路 18 号 1201 室",
    "postcode": "",
}


def sku_code(index: int, number: int) -> str:
    """`DEMO-000042-1`: the first SKU's code marks product 42 as created, without a model field."""
    return f"{SKU_CODE_PREFIX}{index:06d}-{number}"


def retail_price(value: float, cap: Decimal | None = MAX_PRICE) -> Decimal:
    """A shop-like price: ¥39.90 under a hundred, then ¥259.00, then ¥1,299.00."""
    if value < 100:
        price = Decimal(max(round(value), 10)) - Decimal("0.10")
    elif value < 1000:
        price = Decimal(round(value / 10) * 10 - 1)
    else:
        price = Decimal(round(value / 100) * 100 - 1)
    if cap is not None:
        price = min(price, cap)
    return max(price, MIN_PRICE).quantize(Decimal("0.01"))


def product_plan(index: int) -> ProductPlan:
    """Product number `index`, always the same: its own seeded generator, no shared state.

    Subcategories take turns (index modulo their count), so any catalogue of at least
    `len(LEAVES)` products has something in every category, jewellery and courses included;
    within a subcategory the items take turns too, so the default 200 products sell every
    item (search's relevance set looks for 茶杯 and 双肩包 as well as 马克杯).
    """
    rng = random.Random(index)
    leaf = LEAVES[index % len(LEAVES)]
    item = leaf.items[index // len(LEAVES) % len(leaf.items)]
    merchant = rng.choice(leaf.merchants)
    suffix, suffix_en = leaf.suffixes[0] if rng.random() < 0.5 else rng.choice(leaf.suffixes)
    tail, tail_en = rng.choice(leaf.tails)
    featured = rng.random() < FEATURED_SHARE

    variants = item.variants or leaf.variants
    count = rng.randint(1, min(4, len(variants)))
    chosen = sorted(rng.sample(range(len(variants)), count))
    base = rng.uniform(item.low, item.high)
    skus = tuple(
        SkuPlan(
            attributes=dict(variants[n][0]),
            price=retail_price(base * variants[n][1], leaf.max_price),
            quantity=0 if rng.random() < SOLD_OUT_SHARE else rng.randint(1, 200),
        )
        for n in chosen
    )
    images = tuple(rng.sample(range(IMAGE_COUNT), rng.randint(1, 3)))
    return ProductPlan(
        index=index,
        category=leaf.category,
        merchant=merchant,
        title=f"{item.title}{suffix}",
        title_en=f"{item.title_en}{suffix_en}",
        description=f"{item.description}{tail}",
        description_en=f"{item.description_en} {tail_en}",
        featured=featured,
        skus=skus,
        images=images,
    )


# Categories whose merchants must upload a qualification (food, alcohol, cosmetics).
QUALIFIED_CATEGORIES = ("coffee", "tea", "snacks", "alcohol", "skincare", "makeup")

# A merchant owner for the merchant admin (their shop: Mountain Coffee).
MERCHANT_EMAIL = "merchant@example.com"
MERCHANT_PASSWORD = "merchant-demo-2026"
MERCHANT_NAME = "林山"
MERCHANT_SLUG = "mountain-coffee"

# --- Gift history and occasions (gift discovery) --------------------------------------------


@dataclass(frozen=True)
class OccasionSpec:
    slug: str
    name: str
    name_en: str
    categories: tuple[str, ...]


OCCASIONS: tuple[OccasionSpec, ...] = (
    OccasionSpec(
        "birthday",
        "生日",
        "Birthday",
        ("food-drink", "beauty", "fashion-bags", "home", "electronics", "toys", "books"),
    ),
    OccasionSpec("festival", "节日", "Festival", ("food-drink", "home", "beauty")),
    OccasionSpec(
        "thanks", "感谢", "Thanks", ("tea", "coffee", "snacks", "candles-scents", "mugs-cups")
    ),
    OccasionSpec("new-baby", "新生儿", "New baby", ("toys", "home")),
    OccasionSpec("housewarming", "乔迁", "Housewarming", ("home", "tea")),
    OccasionSpec("graduation", "毕业", "Graduation", ("electronics", "books", "bags")),
    OccasionSpec("get-well", "探望", "Get well", ("snacks", "tea", "books")),
)

# Replayed through the services (see shop.demo.history), about 40 ms a gift: 600 keep the
# charts full and plausible (rising shops, three weeks of trends) and seeding well under a minute.
GIFT_COUNT = 600
GIFT_SENDERS = 240
GIFT_SENDER_EMAIL = "gifter{:03d}@example.com"

# Accepted-gift appetite per merchant for the weeks three, two and one ago (this week last):
# tea, toys and home rise, leather falls, coffee stays on top.
MERCHANT_GIFT_TRENDS: dict[str, tuple[int, int, int]] = {
    "mountain-coffee": (30, 31, 33),
    "qinghe-tea": (8, 9, 24),
    "city-leather": (22, 17, 11),
    "warm-light-home": (13, 14, 21),
    "yayan-beauty": (18, 18, 18),
    "mengqu-toys": (4, 5, 15),
    "shengyue-digital": (10, 11, 10),
    "moxiang-books": (6, 5, 7),
}

GIFT_MESSAGES: tuple[str, ...] = (
    "生日快乐！",
    "谢谢你一直以来的帮助。",
    "节日快乐，平安喜乐。",
    "恭喜宝宝出生！",
    "乔迁之喜！",
    "毕业快乐，前程似锦。",
    "早日康复。",
    "Happy birthday!",
)


@dataclass(frozen=True)
class GiftPlan:
    """Demo gift number `index`: who, which shop, when, and what became of it.

    `pick` (0–1) chooses the product among the merchant's giftable ones, popular ones
    more often; the command maps it to a product, so the plan needs no database.
    """

    index: int
    merchant: str
    pick: float
    sender: int
    hours_ago: float
    units: int
    claimed: int
    status: str
    claim_delays: tuple[float, ...]
    refunded: tuple[bool, ...]
    message: str


def _merchant_for_week(rng: random.Random, week: int) -> str:
    slugs = list(MERCHANT_GIFT_TRENDS)
    return rng.choices(slugs, weights=[MERCHANT_GIFT_TRENDS[s][week] for s in slugs])[0]


def _fans(merchant: str) -> list[int]:
    """Senders who favour this merchant: each sender has two favourite shops."""
    slugs = list(MERCHANT_GIFT_TRENDS)
    position = slugs.index(merchant)
    return [
        s for s in range(GIFT_SENDERS) if position in (s % len(slugs), (s * 3 + 1) % len(slugs))
    ]


def gift_plan(index: int) -> GiftPlan:
    """Gift number `index`, always the same (its own seeded generator)."""
    rng = random.Random(f"demo-gift-{index}")
    totals = [sum(weights[week] for weights in MERCHANT_GIFT_TRENDS.values()) for week in range(3)]
    week = rng.choices(range(3), weights=totals)[0]
    hours_ago = (2 - week) * 7 * 24 + rng.uniform(0.5, 7 * 24)
    merchant = _merchant_for_week(rng, week)
    pick = rng.random() ** 2.2  # popular products (low picks) far more often
    sender = rng.choice(_fans(merchant)) if rng.random() < 0.85 else rng.randrange(GIFT_SENDERS)
    units = 1 if rng.random() < 0.9 else rng.randint(2, 6)
    # Some products please more than others: a per-product acceptance shift.
    liking = 0.78 + random.Random(f"{merchant}-{round(pick * 20)}").uniform(-0.3, 0.15)
    live = hours_ago < 20 and rng.random() < 0.5
    claimed = sum(rng.random() < liking for _ in range(units))
    if live:
        claimed = min(claimed, units - 1)
        status = "awaiting_recipient"
    elif claimed == units:
        status = "accepted"
    elif claimed == 0 and units == 1:
        status = rng.choices(["declined", "expired", "cancelled"], weights=[45, 45, 10])[0]
    else:
        status = "expired"
    delays = tuple(sorted(rng.uniform(0.1, min(20.0, hours_ago - 0.05)) for _ in range(claimed)))
    return GiftPlan(
        index=index,
        merchant=merchant,
        pick=pick,
        sender=sender,
        hours_ago=hours_ago,
        units=units,
        claimed=claimed,
        status=status,
        claim_delays=delays,
        refunded=tuple(rng.random() < 0.03 for _ in range(claimed)),
        message=rng.choice(GIFT_MESSAGES),
    )


GIFT_RECIPIENTS: tuple[tuple[str, str, str, str], ...] = (
    ("陈静", "北京市", "北京市", "朝阳区"),
    ("刘洋", "上海市", "上海市", "徐汇区"),
    ("赵敏", "广东省", "广州市", "天河区"),
    ("孙磊", "广东省", "深圳市", "南山区"),
    ("周婷", "浙江省", "杭州市", "西湖区"),
    ("吴昊", "四川省", "成都市", "武侯区"),
    ("郑雪", "湖北省", "武汉市", "洪山区"),
    ("何川", "江苏省", "南京市", "鼓楼区"),
)

# When things happen in a gift's life. Claims, declines and cancels are planned in hours of
# a 24-hour accept window and scaled to the configured one; shipping is the merchant's pace.
PAYMENT_AFTER = timedelta(minutes=3)
CANCEL_AFTER_HOURS = 1.0
DECLINE_AFTER_HOURS = 2.0
REFUND_REQUESTED_AFTER = timedelta(hours=6)
REFUND_APPROVED_AFTER = timedelta(hours=8)
SHIPPED_AFTER = timedelta(hours=18)
DELIVERED_AFTER = timedelta(days=2, hours=6)
CARRIER = "顺丰速运"
REFUND_REASON = "包装破损，商品无法使用"
REFUND_NOTE = "已核实，同意退款"


@dataclass(frozen=True)
class PurchasePlan:
    """An ordinary order of the demo shopper: `items` are (merchant, pick, quantity)."""

    hours_ago: float
    items: tuple[tuple[str, float, int], ...]


# The demo shopper's own orders: delivered, one cart across two shops (one payment for
# both orders), shipped, and one the merchant has yet to ship.
SHOPPER_PURCHASES: tuple[PurchasePlan, ...] = (
    PurchasePlan(19 * 24 + 3, (("mountain-coffee", 0.0, 2),)),
    PurchasePlan(9 * 24 + 5, (("qinghe-tea", 0.1, 1), ("warm-light-home", 0.3, 1))),
    PurchasePlan(30, (("moxiang-books", 0.2, 1),)),
    PurchasePlan(3, (("yayan-beauty", 0.0, 1),)),
)

# A brand's gift campaign run through the partner API: a prepaid balance, topped up before
# the history starts, pays for gifts of its own shop (refunds of unclaimed units go back to
# the balance). Its gifts are planned like the others, on its merchant.
PARTNER_NAME = "青禾茶 · 节日送礼活动"
PARTNER_MERCHANT = "qinghe-tea"
PARTNER_TOP_UP = Decimal("20000.00")
PARTNER_TOP_UP_DAYS_AGO = 22
PARTNER_GIFT_COUNT = 12


def partner_gift_plan(number: int) -> GiftPlan:
    """The partner's gift `number`: a gift plan of its own series, on the partner's shop."""
    return replace(gift_plan(100_000 + number), merchant=PARTNER_MERCHANT, sender=0)


# --- Chip-ins (一起送) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChipInPlan:
    """A gift friends pay for together: started `hours_ago` by `organiser` (a gift sender's
    number; None: the demo shopper), who pays the first of `shares` equal shares; then the
    `friends` (gift senders' numbers) pay theirs, twenty minutes apart."""

    organiser: int | None
    merchant: str
    hours_ago: float
    shares: int
    friends: tuple[int, ...]
    message: str
    sender_name: str


# The demo shopper's own chip-in, two of three shares paid (its share link is live), and a
# funded one whose gift waits for its recipient.
CHIP_INS: tuple[ChipInPlan, ...] = (
    ChipInPlan(None, "mountain-coffee", 5, 3, (0,), "阿杰，生日快乐！咖啡管够。", "小明和朋友们"),
    ChipInPlan(2, "qinghe-tea", 3, 3, (3, 4), "老师辛苦了，一点心意。", "三班的同学们"),
)
