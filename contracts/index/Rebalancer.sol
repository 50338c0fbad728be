// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {MakerSignature} from "../libraries/MakerSignature.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {IIssuer} from "../interfaces/IIssuer.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {UnorderedNonces} from "../utils/UnorderedNonces.sol";
import {RebalanceMath} from "./libraries/RebalanceMath.sol";
import {RebalanceOrderHash} from "./libraries/RebalanceOrderHash.sol";

/**
 * @title Rebalancer
 * @notice Rebalance windows, PMM rebalance orders under attested reference prices, and fee
 * sales. See {IRebalancer}.
 * @dev Holds no tokens: sell legs and fee assets go from custody straight to the maker, buy legs
 * and cash from the maker straight to custody and the fee vault. Needs REBALANCER_ROLE on the
 * issuer and on every index token, and RELEASER_ROLE on the custody vault.
 */
contract Rebalancer is IRebalancer, UnorderedNonces, ProtocolUpgradeable, EIP712Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IRebalancer
    bytes32 public constant MAKER_ROLE = keccak256("MAKER_ROLE");
    /// @inheritdoc IRebalancer
    bytes32 public constant PRICE_ATTESTER_ROLE = keccak256("PRICE_ATTESTER_ROLE");

    /// @dev Hard cap on the price tolerance: 5%.
    uint256 public constant MAX_TOLERANCE_BPS = 500;
    /// @dev Hard cap on how long a window can keep mint and redeem suspended before anyone may end it.
    uint256 public constant MAX_WINDOW_DURATION = 7 days;
    uint256 private constant BPS = 10_000;
    string private constant DOMAIN_NAME = "SSI Rebalancer";
    string private constant DOMAIN_VERSION = "1";

    /// @custom:storage-location erc7201:ssi.storage.Rebalancer
    struct RebalancerStorage {
        address issuer;
        address custody;
        uint16 toleranceBps;
        uint32 maxWindowDuration;
        mapping(address index => Window) windows;
        mapping(address account => mapping(uint256 wordPos => uint256 bitmap)) nonceBitmaps;
        mapping(address asset => bool) buyAssetAllowed;
        mapping(address index => WindowValue) windowValues;
    }

    /// @dev What a window is measured against: the basket's value at its first settlement and the loss so far.
    struct WindowValue {
        uint256 openingValue;
        uint256 loss;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.Rebalancer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant REBALANCER_STORAGE_LOCATION = 0xbb8a8d2ca5f0fd8bc252b041241539aeeca1cbdf5436035cddbae5a6212e0400;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IRebalancer
    function initialize(address admin, address issuer_, uint16 toleranceBps_, uint32 maxWindowDuration_)
        external
        initializer
    {
        if (issuer_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        RebalancerStorage storage $ = _getRebalancerStorage();
        $.issuer = issuer_;
        $.custody = IIssuer(issuer_).custody();
        _setTolerance($, toleranceBps_);
        _setMaxWindowDuration($, maxWindowDuration_);
    }

    // ---------------------------------------------------------------- rebalance windows

    /// @inheritdoc IRebalancer
    function openWindow(address index) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        RebalancerStorage storage $ = _getRebalancerStorage();
        uint64 openedAt = $.windows[index].openedAt;
        if (openedAt != 0) revert WindowAlreadyOpen(index, openedAt);
        // Cannot truncate: timestamps and the capped duration are far below 2^64.
        uint64 expiresAt = uint64(block.timestamp + $.maxWindowDuration);
        $.windows[index] = Window({openedAt: uint64(block.timestamp), expiresAt: expiresAt, settlements: 0});
        delete $.windowValues[index];
        IIssuer($.issuer).setRebalancing(index, true);
        IIndexToken(index).setRebalancing(true);
        (address[] memory assets, uint256[] memory unitAmounts) = IIndexToken(index).tokenset();
        emit RebalanceWindowOpened(index, block.timestamp, expiresAt, assets, unitAmounts);
    }

    /// @inheritdoc IRebalancer
    function settle(
        RebalanceOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused nonReentrant returns (bytes32) {
        RebalancerStorage storage $ = _getRebalancerStorage();
        Settlement memory s = _checkSettlement($, order, makerSignature, prices, priceSignature);
        _useUnorderedNonce(order.maker, order.nonce);
        _useUnorderedNonce(s.priceSigner, prices.nonce);
        $.windows[order.index].settlements += 1;
        $.windowValues[order.index] = WindowValue({openingValue: s.openingValue, loss: s.windowLoss});
        IIndexToken(order.index).setTokenset(s.assets, s.unitAmounts);
        _trade($.custody, order);
        emit RebalanceSettled(
            s.orderHash,
            order.index,
            order.maker,
            s.previousAssets,
            s.previousUnitAmounts,
            s.assets,
            s.unitAmounts,
            s.soldValue,
            s.boughtValue
        );
        return s.orderHash;
    }

    /// @inheritdoc IRebalancer
    function closeWindow(address index) external {
        RebalancerStorage storage $ = _getRebalancerStorage();
        Window memory w = $.windows[index];
        if (w.openedAt == 0) revert WindowNotOpen(index);
        if (block.timestamp < w.expiresAt && !hasRole(OPERATOR_ROLE, msg.sender)) {
            revert WindowNotExpired(index, w.expiresAt);
        }
        delete $.windows[index];
        IIndexToken(index).setRebalancing(false);
        IIssuer($.issuer).setRebalancing(index, false);
        (address[] memory assets, uint256[] memory unitAmounts) = IIndexToken(index).tokenset();
        emit RebalanceWindowClosed(index, msg.sender, w.settlements, assets, unitAmounts);
    }

    /// @inheritdoc IRebalancer
    function resetTokenset(address index, address[] calldata assets, uint256[] calldata unitAmounts)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        RebalancerStorage storage $ = _getRebalancerStorage();
        _checkWindow($, index);
        uint256 supply = IIndexToken(index).totalSupply();
        if (supply != 0) revert IndexHasSupply(index, supply);
        IIndexToken(index).setTokenset(assets, unitAmounts);
        emit TokensetReset(index, assets, unitAmounts);
    }

    // ---------------------------------------------------------------- fee sales

    /// @inheritdoc IRebalancer
    function sellFee(
        FeeSaleOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused nonReentrant returns (bytes32 orderHash) {
        RebalancerStorage storage $ = _getRebalancerStorage();
        address feeVault;
        address priceSigner;
        (orderHash, feeVault, priceSigner) = _checkFeeSale($, order, makerSignature, prices, priceSignature);
        _useUnorderedNonce(order.maker, order.nonce);
        _useUnorderedNonce(priceSigner, prices.nonce);
        _tradeFee($.custody, order, orderHash, feeVault);
    }

    // ---------------------------------------------------------------- nonces and settings

    /// @inheritdoc IRebalancer
    function setTolerance(uint16 toleranceBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTolerance(_getRebalancerStorage(), toleranceBps_);
    }

    /// @inheritdoc IRebalancer
    function setMaxWindowDuration(uint32 duration) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxWindowDuration(_getRebalancerStorage(), duration);
    }

    /// @inheritdoc IRebalancer
    function setBuyAssetAllowed(address asset, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _getRebalancerStorage().buyAssetAllowed[asset] = allowed;
        emit BuyAssetAllowed(asset, allowed);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRebalancer
    function previewSettlement(
        RebalanceOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external view returns (Settlement memory) {
        _requireNotPaused();
        Settlement memory s = _checkSettlement(_getRebalancerStorage(), order, makerSignature, prices, priceSignature);
        _requireUnusedNonce(order.maker, order.nonce);
        _requireUnusedNonce(s.priceSigner, prices.nonce);
        return s;
    }

    /// @inheritdoc IRebalancer
    function hashRebalanceOrder(RebalanceOrder calldata order) external view returns (bytes32) {
        return _hashTypedDataV4(RebalanceOrderHash.hash(order));
    }

    /// @inheritdoc IRebalancer
    function hashPriceAttestation(PriceAttestation calldata prices) external view returns (bytes32) {
        return _hashTypedDataV4(RebalanceOrderHash.hash(prices));
    }

    /// @inheritdoc IRebalancer
    function hashFeeSaleOrder(FeeSaleOrder calldata order) external view returns (bytes32) {
        return _hashTypedDataV4(RebalanceOrderHash.hash(order));
    }

    /// @inheritdoc IRebalancer
    function window(address index) external view returns (Window memory) {
        return _getRebalancerStorage().windows[index];
    }

    /// @inheritdoc IRebalancer
    function toleranceBps() external view returns (uint256) {
        return _getRebalancerStorage().toleranceBps;
    }

    /// @inheritdoc IRebalancer
    function maxWindowDuration() external view returns (uint256) {
        return _getRebalancerStorage().maxWindowDuration;
    }

    /// @inheritdoc IRebalancer
    function issuer() external view returns (address) {
        return _getRebalancerStorage().issuer;
    }

    /// @inheritdoc IRebalancer
    function custody() external view returns (address) {
        return _getRebalancerStorage().custody;
    }

    /// @inheritdoc IRebalancer
    function isBuyAssetAllowed(address asset) external view returns (bool) {
        return _getRebalancerStorage().buyAssetAllowed[asset];
    }

    // ---------------------------------------------------------------- internals

    /**
     * @dev Every check of a settlement, in the documented order: window, expiry, fields, allowed
     * buy assets, basket and the new tokenset, prices, tolerance and the window's loss, maker role
     * and signature, price signature; the caller then checks and uses both nonces. Returns everything settlement needs.
     */
    function _checkSettlement(
        RebalancerStorage storage $,
        RebalanceOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) private view returns (Settlement memory s) {
        _checkWindow($, order.index);
        if (block.timestamp > order.deadline) revert OrderExpired(order.deadline, block.timestamp);
        _checkPrices(order.index, prices);
        if (order.sellAssets.length == 0 && order.buyAssets.length == 0) revert EmptyOrder();
        RebalanceMath.checkLegs(order.sellAssets, order.sellAmounts);
        RebalanceMath.checkLegs(order.buyAssets, order.buyAmounts);
        for (uint256 i = 0; i < order.buyAssets.length; ++i) {
            if (!$.buyAssetAllowed[order.buyAssets[i]]) revert BuyAssetNotAllowed(order.buyAssets[i]);
        }
        IIndexToken token = IIndexToken(order.index);
        uint256 supply = token.totalSupply();
        if (supply == 0) revert IndexHasNoSupply(order.index);
        (s.previousAssets, s.previousUnitAmounts) = token.tokenset();
        (, uint256[] memory basketAmounts) = token.basket();
        (s.assets, s.unitAmounts) = RebalanceMath.newTokenset(s.previousAssets, basketAmounts, supply, order);
        s.soldValue = _value(order.sellAssets, order.sellAmounts, prices);
        s.boughtValue = _value(order.buyAssets, order.buyAmounts, prices);
        uint256 tolerance = $.toleranceBps;
        uint256 gap = s.boughtValue > s.soldValue ? s.boughtValue - s.soldValue : s.soldValue - s.boughtValue;
        if (gap * BPS > s.soldValue * tolerance) revert ValueOutOfTolerance(s.soldValue, s.boughtValue, tolerance);
        (s.openingValue, s.windowLoss) = _windowLoss($, order.index, s, basketAmounts, prices);
        if (!hasRole(MAKER_ROLE, order.maker)) revert NotMaker(order.maker);
        s.orderHash = _hashTypedDataV4(RebalanceOrderHash.hash(order));
        if (!MakerSignature.isValid(order.maker, s.orderHash, makerSignature)) revert InvalidSignature(order.maker);
        s.priceSigner = _priceSigner(prices, priceSignature);
    }

    /**
     * @dev The window's opening value (the basket at the first settlement's prices, so the first
     * attestation must price every basket asset) and its loss with this settlement added; reverts
     * once the loss exceeds the tolerance of the opening value. Gains do not offset earlier losses,
     * so no sequence of settlements can lose more than the tolerance over a window.
     */
    function _windowLoss(
        RebalancerStorage storage $,
        address index,
        Settlement memory s,
        uint256[] memory basketAmounts,
        PriceAttestation calldata prices
    ) private view returns (uint256 openingValue, uint256 loss) {
        WindowValue memory w = $.windowValues[index];
        openingValue = w.openingValue != 0 ? w.openingValue : _value(s.previousAssets, basketAmounts, prices);
        loss = w.loss + (s.soldValue > s.boughtValue ? s.soldValue - s.boughtValue : 0);
        uint256 maxLoss = Math.mulDiv(openingValue, $.toleranceBps, BPS);
        if (loss > maxLoss) revert WindowLossExceeded(index, loss, maxLoss);
    }

    /// @dev Moves a settled order's legs: sells custody -> maker, buys maker -> custody.
    function _trade(address custody_, RebalanceOrder calldata order) private {
        if (order.sellAssets.length != 0) {
            ICustodyVault(custody_).release(order.index, order.maker, order.sellAssets, order.sellAmounts);
        }
        for (uint256 i = 0; i < order.buyAssets.length; ++i) {
            IERC20(order.buyAssets[i]).safeTransferFrom(order.maker, custody_, order.buyAmounts[i]);
        }
    }

    /// @dev Moves a fee sale: fee assets out of the fee basket and custody to the maker, cash maker -> fee vault.
    function _tradeFee(address custody_, FeeSaleOrder calldata order, bytes32 orderHash, address feeVault) private {
        IIndexToken(order.index).takeFee(order.assets, order.amounts);
        ICustodyVault(custody_).release(order.index, order.maker, order.assets, order.amounts);
        IERC20(order.cashToken).safeTransferFrom(order.maker, feeVault, order.cashAmount);
        emit FeeSold(
            orderHash, order.index, order.maker, order.assets, order.amounts, order.cashToken, order.cashAmount, feeVault
        );
    }

    /// @dev USD value (18 decimals) of the legs at the attested prices; both lists are ascending.
    function _value(address[] memory assets, uint256[] memory amounts, PriceAttestation calldata prices)
        private
        view
        returns (uint256 value)
    {
        uint256 p = 0;
        uint256 priced = prices.assets.length;
        for (uint256 i = 0; i < assets.length; ++i) {
            address asset = assets[i];
            while (p < priced && prices.assets[p] < asset) ++p;
            if (p == priced || prices.assets[p] != asset) revert PriceMissing(asset);
            value += Math.mulDiv(amounts[i], prices.prices[p], 10 ** IERC20Metadata(asset).decimals());
        }
    }

    /**
     * @dev Every check of a fee sale: expiry, index, cash token, legs, fee basket, price bound,
     * maker, signature, price signature; the caller then checks and uses both nonces.
     */
    function _checkFeeSale(
        RebalancerStorage storage $,
        FeeSaleOrder calldata order,
        bytes calldata makerSignature,
        PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) private view returns (bytes32 orderHash, address feeVault, address priceSigner) {
        if (block.timestamp > order.deadline) revert OrderExpired(order.deadline, block.timestamp);
        _checkPrices(order.index, prices);
        IIssuer issuer_ = IIssuer($.issuer);
        feeVault = issuer_.indexConfig(order.index).feeVault;
        if (feeVault == address(0)) revert UnknownIndex(order.index);
        if (!issuer_.isCashToken(order.cashToken)) revert CashTokenNotAllowed(order.cashToken);
        if (order.assets.length == 0) revert EmptyOrder();
        RebalanceMath.checkLegs(order.assets, order.amounts);
        _checkFeeBasket(order);
        _checkFeeSalePrice($, order, prices);
        if (!hasRole(MAKER_ROLE, order.maker)) revert NotMaker(order.maker);
        orderHash = _hashTypedDataV4(RebalanceOrderHash.hash(order));
        if (!MakerSignature.isValid(order.maker, orderHash, makerSignature)) revert InvalidSignature(order.maker);
        priceSigner = _priceSigner(prices, priceSignature);
    }

    /// @dev The fee basket must hold every amount the sale takes.
    function _checkFeeBasket(FeeSaleOrder calldata order) private view {
        (address[] memory feeAssets, uint256[] memory feeAmounts) = IIndexToken(order.index).feeBasket();
        uint256 f = 0;
        for (uint256 i = 0; i < order.assets.length; ++i) {
            address asset = order.assets[i];
            while (f < feeAssets.length && feeAssets[f] < asset) ++f;
            uint256 available = f < feeAssets.length && feeAssets[f] == asset ? feeAmounts[f] : 0;
            if (order.amounts[i] > available) revert FeeBasketExceeded(asset, available, order.amounts[i]);
        }
    }

    /// @dev The cash of a fee sale must be worth the fee assets' attested value less the tolerance.
    function _checkFeeSalePrice(RebalancerStorage storage $, FeeSaleOrder calldata order, PriceAttestation calldata prices)
        private
        view
    {
        address[] memory cashAssets = new address[](1);
        uint256[] memory cashAmounts = new uint256[](1);
        cashAssets[0] = order.cashToken;
        cashAmounts[0] = order.cashAmount;
        uint256 cashValue = _value(cashAssets, cashAmounts, prices);
        uint256 minValue = Math.mulDiv(_value(order.assets, order.amounts, prices), BPS - $.toleranceBps, BPS);
        if (cashValue < minValue) revert FeeSaleBelowPrice(cashValue, minValue);
    }

    /// @dev The window of `index` must be open, unexpired and still hold the issuer's rebalancing flag.
    function _checkWindow(RebalancerStorage storage $, address index) private view {
        Window memory w = $.windows[index];
        if (w.openedAt == 0) revert WindowNotOpen(index);
        if (block.timestamp >= w.expiresAt) revert WindowExpired(index, w.expiresAt);
        if (!IIssuer($.issuer).isRebalancing(index)) revert IndexNotRebalancing(index);
    }

    /// @dev Prices for `index`, unexpired, with their legs well formed.
    function _checkPrices(address index, PriceAttestation calldata prices) private view {
        if (block.timestamp > prices.validUntil) revert PricesExpired(prices.validUntil, block.timestamp);
        if (prices.index != index) revert PricesForOtherIndex(index, prices.index);
        RebalanceMath.checkLegs(prices.assets, prices.prices);
    }

    /// @dev The price attester who signed `prices`; an operator key alone cannot attest.
    function _priceSigner(PriceAttestation calldata prices, bytes calldata signature)
        private
        view
        returns (address signer)
    {
        bytes32 digest = _hashTypedDataV4(RebalanceOrderHash.hash(prices));
        ECDSA.RecoverError error;
        (signer, error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error != ECDSA.RecoverError.NoError) revert InvalidPriceSignature();
        if (!hasRole(PRICE_ATTESTER_ROLE, signer)) revert PriceSignerNotAttester(signer);
    }

    function _setTolerance(RebalancerStorage storage $, uint16 toleranceBps_) private {
        if (toleranceBps_ > MAX_TOLERANCE_BPS) revert ToleranceTooHigh(toleranceBps_, MAX_TOLERANCE_BPS);
        $.toleranceBps = toleranceBps_;
        emit ToleranceSet(toleranceBps_);
    }

    function _setMaxWindowDuration(RebalancerStorage storage $, uint32 duration) private {
        if (duration == 0 || duration > MAX_WINDOW_DURATION) revert InvalidWindowDuration(duration, MAX_WINDOW_DURATION);
        $.maxWindowDuration = duration;
        emit MaxWindowDurationSet(duration);
    }

    /// @dev The domain name is a constant, so signing and checking never read it from storage.
    function _EIP712Name() internal pure override returns (string memory) {
        return DOMAIN_NAME;
    }

    /// @dev The domain version is a constant, so signing and checking never read it from storage.
    function _EIP712Version() internal pure override returns (string memory) {
        return DOMAIN_VERSION;
    }

    function _unorderedNonceBitmap(address owner) internal view override returns (mapping(uint256 => uint256) storage) {
        return _getRebalancerStorage().nonceBitmaps[owner];
    }

    function _getRebalancerStorage() private pure returns (RebalancerStorage storage $) {
        assembly {
            $.slot := REBALANCER_STORAGE_LOCATION
        }
    }
}
