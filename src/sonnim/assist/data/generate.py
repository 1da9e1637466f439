"""Project-written synthetic training data for the default triage models (see README.md in this folder).

Rows come from hand-written templates and vocabulary filled by a seeded generator, plus the hand-written
realistic rows in handwritten_<task>.jsonl. `python -m sonnim.assist.data.generate` rewrites
<task>_train.jsonl and <task>_test.jsonl (a deterministic split: 20% of generated rows and 40% of
hand-written rows are held out). Nothing here comes from real customers."""

import hashlib
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20261125

KO_PRODUCTS = [
    "원피스",
    "니트",
    "운동화",
    "청바지",
    "가디건",
    "텀블러",
    "토너",
    "선크림",
    "블라우스",
    "패딩",
    "후드티",
    "슬랙스",
    "가방",
    "모자",
    "로션",
    "샴푸",
    "이불",
    "머그컵",
    "코트",
    "셔츠",
    "양말 세트",
    "무선 이어폰",
]
EN_PRODUCTS = [
    "dress",
    "sweater",
    "sneakers",
    "jeans",
    "cardigan",
    "tumbler",
    "toner",
    "sunscreen",
    "blouse",
    "jacket",
    "hoodie",
    "bag",
    "cap",
    "lotion",
    "shampoo",
    "mug",
    "coat",
    "shirt",
    "earbuds",
]
KO_PREFIX = [
    "",
    "",
    "",
    "안녕하세요. ",
    "문의드립니다. ",
    "저기요 ",
    "주문번호 {order} 인데요, ",
    "어제 주문한 사람인데요 ",
]
KO_SUFFIX = [
    "",
    "",
    "",
    " 확인 부탁드립니다.",
    " 답변 부탁드려요",
    " ㅠㅠ",
    " 감사합니다.",
    "?",
    " 알려주세요",
]
EN_PREFIX = ["", "", "", "Hi, ", "Hello, ", "Hi there. ", "Order {order}: ", "Quick question - "]
EN_SUFFIX = ["", "", "", " Thanks.", " Please let me know.", " Thank you!", "?", " Please check."]

# category -> (Korean templates, English templates); {p} a product, {n} a number, {order} an order number
CATEGORY = {
    "delivery": (
        [
            "배송 언제 와요",
            "{p} 주문했는데 아직 안 왔어요",
            "송장번호 조회가 안 돼요",
            "택배가 {n}일째 그대로예요",
            "언제 출고되나요",
            "오늘 발송되나요",
            "배송 조회하면 배송준비중으로만 나와요",
            "{p} 배송 얼마나 걸려요",
            "택배사가 어디인가요",
            "배송 완료로 나오는데 물건을 못 받았어요",
            "주문한 {p} 언제 받을 수 있을까요",
            "도서산간 배송 되나요",
            "운송장 번호 알려주세요",
            "배송이 너무 늦어요",
            "택배 기사님 연락이 안 돼요",
            "{p} 언제쯤 도착하나요",
            "해외 배송도 되나요",
            "배송 추적이 안 되네요",
        ],
        [
            "when will my order arrive",
            "my {p} has not arrived yet",
            "the tracking number does not work",
            "my package has been stuck for {n} days",
            "when will it ship",
            "where is my parcel",
            "it says delivered but I never got the package",
            "how long does shipping take",
            "which courier do you use",
            "can you send me the tracking number",
            "shipping is taking too long",
            "do you ship internationally",
            "tracking has not updated in days",
        ],
    ),
    "exchange_return": (
        [
            "{p} 사이즈 교환하고 싶어요",
            "{p} 반품 신청하려고요",
            "색상이 사진이랑 달라서 교환 원해요",
            "반품 수거 언제 오나요",
            "교환 가능한가요",
            "{p} 한 치수 큰 걸로 바꿔주세요",
            "반품 택배 어떻게 보내요",
            "단순 변심 반품 되나요",
            "교환 배송비 얼마예요",
            "다른 상품이 왔어요 교환해주세요",
            "{p} 불량이라 교환 요청합니다",
            "반품 접수했는데 회수가 안 됐어요",
            "교환 신청 방법 알려주세요",
            "받은 {p} 반품하고 싶습니다",
            "사이즈가 안 맞아서 반품할게요",
        ],
        [
            "I would like to exchange my {p} for a larger size",
            "how do I return this {p}",
            "the color is different from the photo, can I exchange it",
            "when will the return pickup come",
            "can I return it if I changed my mind",
            "you sent me the wrong item, please exchange it",
            "the {p} is defective and I want an exchange",
            "how much is the return shipping fee",
            "I want to send back the {p}",
            "I requested a return but nobody picked it up",
        ],
    ),
    "refund": (
        [
            "환불 언제 되나요",
            "환불 처리 됐나요",
            "카드 취소 언제 들어와요",
            "반품했는데 환불이 아직이에요",
            "환불 금액이 이상해요",
            "{p} 환불 받을 수 있나요",
            "환불 계좌 어디로 알려드려요",
            "환불이 {n}일째 안 들어와요",
            "부분 환불 가능한가요",
            "환불 요청합니다",
            "결제 취소 환불 확인 부탁드려요",
            "적립금 말고 카드로 환불해 주세요",
            "환불 완료 문자 받았는데 입금이 안 됐어요",
            "환불해주세요",
        ],
        [
            "when will I get my refund",
            "has my refund been processed",
            "I still have not received my refund",
            "I want my money back for the {p}",
            "the refund amount is wrong",
            "can I get a partial refund",
            "please refund my order",
            "it has been {n} days and no refund",
            "refund to my card please",
        ],
    ),
    "order_change": (
        [
            "주문 취소해주세요",
            "배송지 변경하고 싶어요",
            "{p} 옵션 변경 가능한가요",
            "주문 수량 하나 더 추가할 수 있나요",
            "주소를 잘못 입력했어요",
            "아직 발송 전이면 취소 부탁드려요",
            "색상 변경하고 싶어요 아직 출고 전이죠",
            "주문을 합배송으로 바꿀 수 있나요",
            "받는 사람 연락처 변경해주세요",
            "{p} 주문 취소하고 다시 주문할게요",
            "주문 내역 수정하고 싶어요",
            "사이즈 잘못 골랐어요 출고 전에 바꿔주세요",
        ],
        [
            "please cancel my order",
            "I need to change my shipping address",
            "can I change the size before it ships",
            "I entered the wrong address",
            "add one more {p} to my order",
            "cancel the order if it has not shipped",
            "can I change the color on my order",
            "please update the phone number on my order",
        ],
    ),
    "product": (
        [
            "{p} 사이즈 어떻게 되나요",
            "{p} 재입고 언제 되나요",
            "{p} 소재가 뭔가요",
            "세탁 방법 알려주세요",
            "{p} 재고 있나요",
            "{p} 정사이즈인가요",
            "키 {n}cm인데 어떤 사이즈가 맞을까요",
            "유통기한이 언제까지예요",
            "{p} 색상 실제로 어떤가요",
            "성분 알려주실 수 있나요",
            "{p} 무게가 얼마나 되나요",
            "품절된 {p} 다시 들어오나요",
            "선물 포장 가능한가요",
            "{p} 두 가지 중에 뭐가 더 두꺼워요",
        ],
        [
            "what size should I get for the {p}",
            "when will the {p} be back in stock",
            "what material is the {p}",
            "how do I wash it",
            "is the {p} in stock",
            "does the {p} run true to size",
            "what are the ingredients",
            "is gift wrapping available",
            "how heavy is the {p}",
            "what colors does the {p} come in",
        ],
    ),
    "payment": (
        [
            "결제가 안 돼요",
            "무통장입금 했는데 확인이 안 돼요",
            "카드 결제 오류가 나요",
            "할부 되나요",
            "현금영수증 발급해주세요",
            "이중 결제 된 것 같아요",
            "카카오페이 결제 되나요",
            "입금자명을 잘못 썼어요",
            "결제 수단 변경하고 싶어요",
            "세금계산서 발행 가능한가요",
            "결제했는데 주문이 안 보여요",
            "네이버페이로 결제했는데 승인이 안 났어요",
        ],
        [
            "my payment failed",
            "I was charged twice",
            "I paid by bank transfer but it is not confirmed",
            "can I pay in installments",
            "I need a receipt for my payment",
            "the card payment keeps failing",
            "do you accept paypal",
            "I paid but the order does not show up",
        ],
    ),
    "account": (
        [
            "비밀번호를 잊어버렸어요",
            "로그인이 안 돼요",
            "회원 탈퇴하고 싶어요",
            "아이디 찾기가 안 돼요",
            "회원정보 수정은 어디서 하나요",
            "휴대폰 번호 변경하려고요",
            "본인인증이 안 돼요",
            "카카오 로그인 연동 해제",
            "이메일 주소 바꾸고 싶어요",
            "계정이 잠겼어요",
            "회원가입 인증 문자가 안 와요",
        ],
        [
            "I forgot my password",
            "I can not log in",
            "please delete my account",
            "how do I change my email",
            "my account is locked",
            "I did not get the verification code",
            "how do I update my phone number",
        ],
    ),
    "coupon_points": (
        [
            "쿠폰이 적용이 안 돼요",
            "적립금 언제 들어와요",
            "포인트 사용은 어떻게 하나요",
            "신규가입 쿠폰 못 받았어요",
            "생일 쿠폰 어디서 받아요",
            "리뷰 적립금이 안 들어왔어요",
            "쿠폰 유효기간 연장 되나요",
            "적립금이 사라졌어요",
            "할인 코드 입력했는데 안 돼요",
            "등급 혜택 쿠폰 언제 나와요",
            "포인트 소멸 예정이라는데 확인해주세요",
        ],
        [
            "my coupon code does not work",
            "my points were not credited",
            "how do I use my points",
            "I did not get the welcome coupon",
            "the discount code is invalid",
            "my reward points disappeared",
            "when do review points come in",
        ],
    ),
    "complaint": (
        [
            "상담원 태도가 너무 불친절해요",
            "이런 식으로 장사하시면 안 되죠",
            "소비자원에 신고하겠습니다",
            "몇 번을 문의해도 답이 없네요",
            "품질이 너무 형편없어요",
            "고객 응대가 엉망이네요",
            "사기 아닌가요",
            "다시는 여기서 안 삽니다",
            "책임자 바꿔주세요",
            "공정위에 민원 넣을게요",
            "광고랑 완전히 다른 제품이에요",
            "이게 정상적인 서비스인가요",
            "고소하겠습니다",
            "정말 실망스러운 쇼핑몰이네요",
        ],
        [
            "your customer service is terrible",
            "I will report you to the consumer agency",
            "nobody answers my messages",
            "the quality is awful",
            "this is a scam",
            "I want to speak to a manager",
            "I will never buy from you again",
            "I am filing a complaint",
            "the product is nothing like the ad",
        ],
    ),
    "other": (
        [
            "매장 위치가 어디인가요",
            "오프라인 매장 있나요",
            "영업시간이 어떻게 되나요",
            "제휴 문의드립니다",
            "채용 공고 보고 연락드려요",
            "안녕하세요",
            "대량 구매 문의드려요",
            "입점 문의합니다",
            "고객센터 전화번호 알려주세요",
            "인스타그램 계정 있나요",
            "협찬 제안드립니다",
        ],
        [
            "where is your store",
            "what are your opening hours",
            "partnership inquiry",
            "hello",
            "are you hiring",
            "do you sell wholesale",
            "what is your phone number",
            "do you have an instagram",
        ],
    ),
}

# Tone phrases for the sentiment and urgency sets.
NEGATIVE = (
    [
        "정말 어이가 없네요",
        "너무 화가 나네요",
        "진짜 짜증나요",
        "실망이 크네요",
        "최악이에요",
        "이게 말이 되나요",
        "장난하세요?",
        "황당하네요",
        "기분이 너무 나쁘네요",
        "다시는 안 삽니다",
        "너무하시네요",
        "답답해 죽겠어요",
        "어이없어요",
        "참 대단하시네요",
        "이러실 거면 왜 파세요",
        "화나서 글 남깁니다",
        "정말 불쾌합니다",
    ],
    [
        "This is ridiculous.",
        "I am really upset.",
        "Terrible.",
        "This is unacceptable.",
        "Very disappointed.",
        "Worst shop ever.",
        "What a joke.",
        "I am so angry.",
        "Awful experience.",
        "I am fed up.",
    ],
)
POSITIVE = (
    [
        "잘 받았어요 감사합니다!",
        "너무 예뻐요 마음에 들어요",
        "빠른 배송 감사해요",
        "친절하게 답변해주셔서 감사합니다",
        "덕분에 잘 해결됐어요",
        "정말 만족합니다",
        "품질이 너무 좋아요",
        "또 구매할게요",
        "선물했는데 다들 좋아하네요",
        "항상 잘 이용하고 있어요",
        "포장도 꼼꼼하고 좋았어요",
    ],
    [
        "Thanks so much!",
        "I love it.",
        "Great service, thank you.",
        "Arrived quickly, very happy.",
        "Everything was perfect.",
        "Really satisfied with the quality.",
        "You were so helpful, thanks!",
    ],
)
HIGH = (
    [
        "소비자원에 신고할게요",
        "한국소비자원에 접수하겠습니다",
        "소비자보호원에 민원 넣겠습니다",
        "변호사 선임하겠습니다",
        "경찰에 신고하겠습니다",
        "이번이 세 번째 문의입니다",
        "몇 번째 연락드리는지 모르겠네요",
        "받자마자 파손되어 있어요",
        "박스가 찢어지고 제품이 깨져서 왔어요",
        "사용하다가 손을 다쳤어요",
        "피부에 발진이 났어요",
        "내일 출국이라 오늘 꼭 받아야 해요",
        "오늘까지 답 없으면 카드사에 이의제기합니다",
        "급합니다 지금 바로 연락주세요",
        "고소 진행하겠습니다",
    ],
    [
        "I will report this to the consumer agency.",
        "I am contacting my lawyer.",
        "This is my third message.",
        "The item arrived broken.",
        "The package was damaged and the glass shattered.",
        "I got hurt using it.",
        "I need it today, it is urgent.",
        "I will file a chargeback today.",
        "I have contacted you five times.",
    ],
)
MEDIUM = (
    [
        "아직도 안 왔어요",
        "다른 상품이 왔네요",
        "환불이 너무 늦어요",
        "답변이 늦네요",
        "빨리 처리 부탁드려요",
        "일주일째 기다리고 있어요",
        "사이즈가 잘못 왔어요",
        "구성품이 하나 빠져 있어요",
    ],
    [
        "It still has not arrived.",
        "You sent the wrong item.",
        "The refund is taking too long.",
        "Please handle this soon.",
        "I have been waiting a week.",
        "A part is missing from the box.",
    ],
)


def _order(rng: random.Random) -> str:
    return f"{rng.randint(2025, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 99999):05d}"  # noqa: E501 - Korean text is wide


def fill(template: str, rng: random.Random, lang: str) -> str:
    products = KO_PRODUCTS if lang == "ko" else EN_PRODUCTS
    return template.format(p=rng.choice(products), n=rng.randint(2, 14), order=_order(rng))


def core_sentence(category: str, rng: random.Random, lang: str) -> str:
    ko, en = CATEGORY[category]
    text = fill(rng.choice(ko if lang == "ko" else en), rng, lang)
    prefix = rng.choice(KO_PREFIX if lang == "ko" else EN_PREFIX)
    suffix = rng.choice(KO_SUFFIX if lang == "ko" else EN_SUFFIX)
    if lang == "en" and rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return fill(prefix, rng, lang) + text + suffix


def _tone(phrases: tuple[list[str], list[str]], rng: random.Random, lang: str) -> str:
    return rng.choice(phrases[0] if lang == "ko" else phrases[1])


def _join(core: str, tone: str, rng: random.Random) -> str:
    return f"{tone} {core}" if rng.random() < 0.4 else f"{core} {tone}"


def category_rows(rng: random.Random, per_label: int = 180) -> list[dict]:
    rows = []
    for category in CATEGORY:
        for i in range(per_label):
            lang = "ko" if i % 3 else "en"
            text = core_sentence(category, rng, lang)
            if category != "complaint" and rng.random() < 0.15:  # some tone on other topics too
                text = _join(text, _tone(MEDIUM, rng, lang), rng)
            rows.append({"text": text, "label": category})
    return rows


def sentiment_rows(rng: random.Random, per_label: int = 500) -> list[dict]:
    rows = []
    categories = [c for c in CATEGORY if c != "complaint"]
    for i in range(per_label):
        lang = "ko" if i % 3 else "en"
        core = core_sentence(rng.choice(categories), rng, lang)
        rows.append({"text": core, "label": "neutral"})
        angry = _join(core_sentence(rng.choice(list(CATEGORY)), rng, lang), _tone(NEGATIVE, rng, lang), rng)
        if rng.random() < 0.3:  # politeness does not hide anger
            angry += " 감사합니다." if lang == "ko" else " Thank you."
        rows.append({"text": angry, "label": "negative"})
        happy = _tone(POSITIVE, rng, lang)
        if rng.random() < 0.4:
            happy = _join(core_sentence(rng.choice(["delivery", "product", "other"]), rng, lang), happy, rng)
        rows.append({"text": happy, "label": "positive"})
    return rows


def urgency_rows(rng: random.Random, per_label: int = 500) -> list[dict]:
    rows = []
    calm = [c for c in CATEGORY if c != "complaint"]
    for i in range(per_label):
        lang = "ko" if i % 3 else "en"
        low = core_sentence(rng.choice(calm), rng, lang)
        if rng.random() < 0.2:
            low = _join(low, _tone(POSITIVE, rng, lang), rng)
        rows.append({"text": low, "label": "low"})
        medium = _join(core_sentence(rng.choice(list(CATEGORY)), rng, lang), _tone(MEDIUM, rng, lang), rng)
        if rng.random() < 0.3:
            medium = _join(medium, _tone(NEGATIVE, rng, lang), rng)
        rows.append({"text": medium, "label": "medium"})
        high = _join(core_sentence(rng.choice(list(CATEGORY)), rng, lang), _tone(HIGH, rng, lang), rng)
        rows.append({"text": high, "label": "high"})
    return rows


GENERATORS = {"category": category_rows, "sentiment": sentiment_rows, "urgency": urgency_rows}


def _held_out(text: str, share: float) -> bool:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0] < 256 * share


def build(task: str) -> tuple[list[dict], list[dict]]:
    rng = random.Random(f"{SEED}:{task}")
    generated = list({r["text"]: r for r in GENERATORS[task](rng)}.values())  # drop duplicate texts
    handwritten = [
        json.loads(line) for line in (HERE / f"handwritten_{task}.jsonl").read_text().splitlines() if line
    ]
    train, test = [], []
    for row in generated:
        (test if _held_out(row["text"], 0.2) else train).append({**row, "source": "generated"})
    for row in handwritten:
        (test if _held_out(row["text"], 0.4) else train).append({**row, "source": "handwritten"})
    return train, test


def main() -> None:
    for task in GENERATORS:
        for name, rows in zip(("train", "test"), build(task), strict=True):
            with (HERE / f"{task}_{name}.jsonl").open("w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(task, name, len(rows))


if __name__ == "__main__":
    main()
