"""The notice's first version, written on first use (operators publish the next ones).

Placeholders: {days} (PRIVACY_RETENTION_DAYS), {log_years} (ADDRESS_LOG_RETENTION_DAYS in years).
"""

BODY = """本店（礼物商城）按照《中华人民共和国个人信息保护法》处理您的个人信息。

我们收集什么：购物者的邮箱、姓名、收货地址和订单；礼物收礼人的姓名、手机号和收货地址；申请开店的商家的企业信息、联系人和联系电话。

用途：仅用于完成订单、配送礼物、处理退款和审核开店申请，不用于广告或其他目的，也不出售。

提供给谁：收礼人接受礼物时填写的姓名、手机号和地址，只提供给发货的商家（接受页面上写明商家名称），用于配送这份礼物；送礼人看不到。接受礼物即表示您单独同意这一提供。

保存多久：收货人的姓名、手机号和详细地址在签收后（或订单未送达而结束后）保存 {days} 天，之后替换为打码的内容。为履行《电子商务法》的交易记录保存义务，金额、商品、日期以及省份和城市会保存至少三年。员工查看完整地址的记录保存 {log_years} 年。

您的权利：在“我的账户”中可以下载您的数据（JSON）、删除账户；收礼人在礼物送达后可以通过礼物链接提前删除自己的信息。删除账户时，尚未被接受的礼物会先取消并退款；仍在配送中的订单完成后才删除。

本声明如有更新，会发布新版本；您同意时的版本会被记录。"""

BODY_EN = """Gift Shop processes your personal information under China's Personal Information Protection Law.

What we collect: shoppers' email, name, delivery addresses and orders; gift recipients' name, phone number and delivery address; for merchants applying to open a shop, the company's details, a contact person and their phone number.

What for: only to fulfil orders, deliver gifts, handle refunds and review shop applications. Never for advertising or anything else, and never sold.

Who receives it: the name, phone and address a recipient enters when accepting a gift go only to the merchant that ships it (named on the accept page), to deliver that gift; the sender never sees them. Accepting the gift is your separate consent to this.

How long: a recipient's name, phone and street address are kept for {days} days after delivery (or after an order ends without delivery), then replaced with masked values. Amounts, products, dates, province and city are kept for at least three years, as the E-commerce Law requires for transaction records. Records of staff opening a full address are kept for {log_years} years.

Your rights: under "My account" you can download your data (JSON) and delete your account; a recipient can erase their details early through the gift link once the gift has arrived. When you delete your account, gifts nobody has accepted yet are cancelled and refunded first; orders still on their way are finished first.

When this notice changes we publish a new version; the version you agreed to is recorded."""
