"""The search rules the shop ships with (migration 0005 writes them once; operators edit
them in the admin afterwards): (word, the words it also finds, kind)."""

HYPERNYM, SYNONYM = "hypernym", "synonym"
DEFAULTS = [
    ("杯子", "杯, 马克杯, 茶杯, 对杯, 咖啡杯, 玻璃杯, 保温杯, 水杯", HYPERNYM),
    ("水杯", "马克杯, 玻璃杯, 保温杯", HYPERNYM),
    ("背包", "双肩包, 旅行包, 书包", HYPERNYM),
    ("包包", "托特包, 斜挎包, 单肩包, 双肩包, 旅行包, 公文包, 手提包", HYPERNYM),
    ("首饰", "项链, 戒指, 吊坠, 手链, 耳环", HYPERNYM),
    ("护肤品", "精华, 面霜, 洁面, 爽肤水, 眼霜, 防晒", HYPERNYM),
    ("化妆品", "口红, 唇釉, 眼影, 粉底, 腮红", HYPERNYM),
    ("小说", "红楼梦, 活着, 围城, 边城, 百年孤独, 小王子", HYPERNYM),
    ("cup", "mug, teacup", HYPERNYM),
    ("玩偶", "公仔, 毛绒玩具", SYNONYM),
    ("礼物", "礼品, 礼盒, gift", SYNONYM),
    ("耳机", "耳麦, earphones, headphones, earbuds", SYNONYM),
    ("口红", "唇膏, lipstick", SYNONYM),
    ("保温杯", "保温瓶, 焖烧杯", SYNONYM),
    ("backpack", "rucksack", SYNONYM),
]
